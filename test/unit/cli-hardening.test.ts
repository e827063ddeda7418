import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../cli/main.js';
import { readConnectorFile } from '../../cli/connector-files.js';
import { SENSITIVE, formatPlan, planApply } from '../../cli/plan.js';
import { parseProperties } from '../../runtime/config/index.js';
import { tempDir } from '../fixtures/worker.js';

const file = (name: string, config: Record<string, string>) => ({ path: `${name}.json`, name, config });

t.test('the apply plan prints (sensitive value) for secrets typed in literally, placeholders as they are', async (t) => {
  const files = [
    file('new', { 'connector.class': 'x', 'connection.password': 'literal-Secret-1', 'api.credential': 'literal-Secret-2', 'ssl.key': '${env:KEY}' }),
    file('changed', { 'connector.class': 'x', 'db.password': 'new-literal-Secret-3', 'api.credential': 'new-literal-Secret-4' }),
  ];
  const current = { changed: { 'connector.class': 'x', 'db.password': '[hidden]', 'api.credential': 'old-literal-Secret-5' } };
  // api.credential is secret by its plugin's schema only (as GET /connector-plugins/x/config reports it).
  const isSecret = (_connector: string, key: string) => key === 'api.credential';
  const plan = formatPlan(planApply(files, current, false), isSecret);
  for (const s of ['literal-Secret-1', 'literal-Secret-2', 'new-literal-Secret-4', 'old-literal-Secret-5']) t.notMatch(plan, s);
  t.match(plan, `    + connection.password = ${SENSITIVE}`);
  t.match(plan, `    + api.credential = ${SENSITIVE}`);
  t.match(plan, '    + ssl.key = ${env:KEY}');
  t.match(plan, `    ~ api.credential: ${SENSITIVE} -> ${SENSITIVE}`);
});

t.test('--token on the command line warns that other users can read it', async (t) => {
  const lines: string[] = [];
  const code = await main(
    ['status', '--url', 'http://127.0.0.1:1', '--token', 'cli-token-0123456789'],
    () => undefined,
    (l) => lines.push(l),
  );
  t.equal(code, 1, 'the worker is not reachable');
  t.match(lines.join('\n'), /warning: --token is visible to other users.*CONFLUX_REST_TOKEN/);
  const quiet: string[] = [];
  await main(
    ['status', '--url', 'http://127.0.0.1:1'],
    () => undefined,
    (l) => quiet.push(l),
  );
  t.notMatch(quiet.join('\n'), /warning/);
});

t.test('JSON parse errors of connector and worker files do not echo the file contents', async (t) => {
  const dir = tempDir(t);
  const connector = join(dir, 'db.json');
  writeFileSync(connector, '{"name":"db","config":{"connection.password": Typed-Secret-4242}}');
  const err = (await readConnectorFile(connector).catch((e: unknown) => e)) as Error & { errors: Array<{ message: string }> };
  t.match(err.errors[0]!.message, /db\.json: is not valid JSON/);
  t.notMatch(JSON.stringify(err.errors), 'Secr');

  const worker = join(dir, 'worker.json');
  writeFileSync(worker, '{"rest.auth.token": Worker-Secret-4242}');
  const lines: string[] = [];
  const code = await main(
    ['standalone', '--worker', worker],
    () => undefined,
    (l) => lines.push(l),
  );
  t.equal(code, 1);
  t.match(lines.join('\n'), /worker\.json is not valid JSON/);
  t.notMatch(lines.join('\n'), 'Secr');
});

t.test('the properties parser is linear: a long run of blanks before a line separator does not hang it', async (t) => {
  const line = `key${' '.repeat(20_000)}value\u2028tail`;
  const props = parseProperties(`${line}\nother = 1\n`);
  t.equal(props.get('key'), 'value\u2028tail');
  t.equal(props.get('other'), '1');
  t.same(
    [...parseProperties('a=1\nb : 2\nc 3\n  d=\n# x\n! y\ne')],
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', ''],
      ['e', ''],
    ],
  );
});

t.test('warehouse migrate --database-url with a password warns that other users can read it, without repeating it', async (t) => {
  const lines: string[] = [];
  const code = await main(
    ['warehouse', 'migrate', '--database-url', 'postgres://conflux:db-Secret-771@127.0.0.1:1/warehouse'],
    () => undefined,
    (l) => lines.push(l),
  );
  t.equal(code, 1, 'the database is not reachable');
  const text = lines.join('\n');
  t.match(text, /warning: --database-url carries a password, visible to other users.*DATABASE_URL or PGPASSWORD/);
  t.notMatch(text, /db-Secret-771/, 'the warning does not repeat the password');
  const quiet: string[] = [];
  await main(
    ['warehouse', 'migrate', '--database-url', 'postgres://conflux@127.0.0.1:1/warehouse'],
    () => undefined,
    (l) => quiet.push(l),
  );
  t.notMatch(quiet.join('\n'), /warning/, 'no password, no warning');
});
