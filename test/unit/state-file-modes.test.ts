import { promises as fsp, chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FileConnectorConfigStore } from '../../runtime/herder/file-config-store.js';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import { privateFileOps } from '../../runtime/support/private-files.js';
import { tempDir } from '../fixtures/worker.js';

const mode = (path: string) => statSync(path).mode & 0o777;

t.test('connectors.json is 0600 in a 0700 state directory, also when an older run left 0644 in 0755', async (t) => {
  const state = join(tempDir(t), 'state');
  mkdirSync(state, { mode: 0o755 });
  chmodSync(state, 0o755);
  writeFileSync(join(state, 'connectors.json'), '{}', { mode: 0o644 });
  chmodSync(join(state, 'connectors.json'), 0o644);
  const store = new FileConnectorConfigStore(join(state, 'connectors.json'));
  await store.load();
  await store.save('db', { 'connection.password': 'typed-in-plain-text' }, 'RUNNING');
  t.equal(mode(state).toString(8), '700', 'the state directory');
  t.equal(mode(join(state, 'connectors.json')).toString(8), '600', 'the config file');
});

t.test('a fresh state directory is created 0700', async (t) => {
  const state = join(tempDir(t), 'new', 'state');
  const store = new FileConnectorConfigStore(join(state, 'connectors.json'));
  await store.save('db', { a: '1' }, 'RUNNING');
  t.equal(mode(state).toString(8), '700');
  t.equal(mode(join(state, 'connectors.json')).toString(8), '600');
});

t.test('a symlink planted at the old predictable temporary name redirects nothing', async (t) => {
  const root = tempDir(t);
  const state = join(root, 'state');
  mkdirSync(state);
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'untouched');
  symlinkSync(victim, join(state, 'connectors.json.tmp'));
  const store = new FileConnectorConfigStore(join(state, 'connectors.json'));
  await store.save('db', { 'connection.password': 'typed-in-plain-text' }, 'RUNNING');
  t.equal(await fsp.readFile(victim, 'utf8'), 'untouched', 'the link target was not written');
  t.same(JSON.parse(await fsp.readFile(join(state, 'connectors.json'), 'utf8')), {
    db: { config: { 'connection.password': 'typed-in-plain-text' }, target: 'RUNNING' },
  });
  t.same(readdirSync(state).sort(), ['connectors.json', 'connectors.json.tmp'], 'no temporary file is left behind');
});

t.test('the temporary file gets an unpredictable name and is created exclusively', async (t) => {
  const state = tempDir(t);
  const names: string[] = [];
  const store = new FileOffsetStore(join(state, 'offsets.json'), {
    fileOps: {
      writeFile: async (path, data) => {
        names.push(path);
        // A file already at the name must make the write fail rather than be overwritten.
        writeFileSync(path, 'planted');
        await privateFileOps.writeFile(path, data);
      },
    },
  });
  await store.start();
  await t.rejects(store.set('c', [{ partition: { p: 1 }, offset: { o: 1 } }]), { code: 'EEXIST' });
  await t.rejects(store.set('c', [{ partition: { p: 1 }, offset: { o: 2 } }]), { code: 'EEXIST' });
  t.equal(names.length, 2);
  t.not(names[0], names[1], 'a new random name per write');
  t.match(names[0], /\.offsets\.json\.tmp-[0-9a-f]{24}$/);
});

t.test('the offsets file is 0600 in a 0700 directory', async (t) => {
  const dir = join(tempDir(t), 'offsets-dir');
  const store = new FileOffsetStore(join(dir, 'offsets.json'));
  await store.start();
  await store.set('c', [{ partition: { p: 1 }, offset: { o: 1 } }]);
  await store.flush();
  t.equal(mode(dir).toString(8), '700');
  t.equal(mode(join(dir, 'offsets.json')).toString(8), '600');
});

t.test('a connector named "__proto__" is stored like any other name', async (t) => {
  const path = join(tempDir(t), 'connectors.json');
  const store = new FileConnectorConfigStore(path);
  await store.save('__proto__', { a: '1' }, 'PAUSED');
  t.same(await new FileConnectorConfigStore(path).load(), [{ name: '__proto__', config: { a: '1' }, target: 'PAUSED' }]);
});

t.test('a corrupt connectors.json is reported without quoting its contents', async (t) => {
  const path = join(tempDir(t), 'connectors.json');
  writeFileSync(path, '{"db": {"config": {"connection.password": "typed-Secret-4242" oops');
  const err = await new FileConnectorConfigStore(path).load().catch((e: unknown) => e as Error);
  t.match((err as Error).message, /is not valid JSON/);
  t.notMatch(String((err as Error).message), 'typed-Secret-4242');
  t.notOk((err as Error).cause, 'the parser error, which may quote the text, is not chained');
});
