/**
 * `npm run build` output runs on its own: bin/conflux.js prefers dist/ when it exists, so a module
 * that finds its files relative to the sources (package.json, sql/, scripts/) would break only
 * there. The build goes to a private directory, never dist/, so other tests keep running the
 * sources.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { packageVersion, projectRoot } from '../../runtime/support/project-root.js';
import { freePort } from '../helpers/mongo-test-server.js';
import { waitFor } from '../helpers/services.js';

const run = promisify(execFile);
const root = projectRoot();

t.test('the compiled CLI finds its package, validates the shipped configs and reports its version', async (t) => {
  const out = join(root, '.tap', `build-${process.pid}`);
  mkdirSync(out, { recursive: true });
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', out], { cwd: root, timeout: 300_000 });

  const cli = join(out, 'cli/entry.js');
  const validated = await run(
    process.execPath,
    [cli, 'validate', 'config/connectors/orders-source.json', 'config/connectors/warehouse-orders.json', 'config/connectors/warehouse-customers.json'],
    {
      cwd: root,
      env: { ...process.env, MONGODB_URI: 'mongodb://127.0.0.1:1/?replicaSet=rs0', DATABASE_URL: 'postgres://u@127.0.0.1:1/db' },
    },
  );
  t.match(validated.stdout, /orders-source/, 'the shipped connector configs are checked by the compiled CLI');

  // standalone reads the version at start (it once looked for package.json beside dist/ and exited).
  const state = join(out, 'state');
  mkdirSync(state);
  const port = await freePort();
  const workerFile = join(out, 'worker.json');
  writeFileSync(
    workerFile,
    JSON.stringify({
      'bootstrap.servers': process.env.KAFKA_BROKERS,
      'schema.registry.url': process.env.SCHEMA_REGISTRY_URL,
      'rest.host': '127.0.0.1',
      'rest.port': port,
      'offset.storage': 'file',
      'offset.storage.file.filename': join(state, 'offsets.json'),
      'state.dir': state,
    }),
  );
  const worker = spawn(process.execPath, [cli, 'standalone', '--worker', workerFile], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  t.teardown(() => void worker.kill('SIGKILL'));
  const info = await waitFor(
    'the compiled worker to answer GET /',
    async () => {
      if (worker.exitCode !== null) throw new Error(`the compiled worker exited (${worker.exitCode}): ${stderr.slice(-2000)}`);
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as { version: string }) : undefined;
    },
    120_000,
  );
  t.equal(info.version, packageVersion(), 'GET / reports the version of package.json');
  worker.kill('SIGTERM');
  t.equal(await exited, 0, 'it stops cleanly');
});

t.test("projectRoot is the directory of conflux's package.json", async (t) => {
  t.equal(projectRoot(), join(import.meta.dirname, '..', '..'));
  t.match(packageVersion(), /^\d+\.\d+\.\d+/);
});
