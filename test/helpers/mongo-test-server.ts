/**
 * Starts a second MongoDB test server (scripts/services, mongo only) on a free port with its own state
 * directory, for assertions that need a server configured differently from the shared one.
 */
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const servicesScript = fileURLToPath(new URL('../../scripts/services/services.sh', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface MongoTestServerOptions {
  /** `standalone` answers as a standalone mongod: no replica set in `hello`, `$changeStream` refused (40573). */
  readonly topology?: 'replicaset' | 'standalone';
}

/** Starts the test server with `settings` (CONFLUX_* variables); returns its connection string. */
export async function startMongoTestServer(t: Test, settings: Record<string, string>, options: MongoTestServerOptions = {}): Promise<string> {
  const stateDir = await mkdtemp(join(tmpdir(), 'conflux-mongo-'));
  const port = await freePort();
  const env = {
    ...process.env,
    ...settings,
    CONFLUX_STATE_DIR: stateDir,
    CONFLUX_MONGO_PORT: String(port),
    CONFLUX_MONGO_TOPOLOGY: options.topology ?? 'replicaset',
  };
  t.teardown(async () => {
    await run('bash', [servicesScript, 'down', 'mongo'], { env });
    await rm(stateDir, { recursive: true, force: true });
  });
  const { stdout } = await run('bash', [servicesScript, 'up', 'mongo'], { env, timeout: 180_000 });
  const uri = /^MONGODB_URI=(.*)$/m.exec(stdout)?.[1];
  if (!uri) throw new Error(`services up mongo printed no MONGODB_URI: ${stdout}`);
  return uri;
}
