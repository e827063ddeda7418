/**
 * Expected failures of the main command end in one line that says what to do, not in a stack
 * trace: here the local PostgreSQL cannot start because another process holds its port.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import t from 'tap';
import { projectRoot } from '../../runtime/support/project-root.js';
import { services } from '../helpers/services.js';
import { tempDir } from '../fixtures/worker.js';

t.test('npm start with the PostgreSQL port taken: one line naming the fix, exit 1, no stack', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const s = services();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGODB_URI: s.mongoUri,
    KAFKA_BROKERS: s.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: s.schemaRegistryUrl,
    // A service directory of its own: the services script then sees no PostgreSQL of its own running.
    CONFLUX_STATE_DIR: tempDir(t),
    CONFLUX_POSTGRES_PORT: String(port),
  };
  delete env.DATABASE_URL;
  delete env.DEBUG;
  const child = spawn(process.execPath, ['bin/conflux.js', 'demo', '--orders', '1'], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 1, output);
  t.match(output, new RegExp(`port ${port} is taken`), "the services script's own reason is shown");
  t.match(output, /error: the local services did not start .*CONFLUX_<SERVICE>_PORT/);
  t.notMatch(output, /\n\s+at .*\.(ts|js):\d+/, 'no stack trace');
});
