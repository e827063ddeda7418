import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/mongo-test-server.js';

const servicesScript = fileURLToPath(new URL('../../scripts/services/services.sh', import.meta.url));

/**
 * Starts a MongoDB test server of the benchmark's own (scripts/services, mongo only, own state
 * directory and port) with room for `historyEntries` changes, so a large preload neither fills
 * the shared server's heap nor pushes other tests' history out. Returns its URI, its process id
 * (to read its CPU time) and a stop function.
 */
export async function startPrivateMongo(historyEntries: number): Promise<{ uri: string; pid: number; stop: () => void }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'conflux-bench-mongo-'));
  const env = {
    ...process.env,
    CONFLUX_STATE_DIR: stateDir,
    CONFLUX_MONGO_PORT: String(await freePort()),
    CONFLUX_MONGO_OPLOG_MAX_ENTRIES: String(historyEntries),
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('bash', [servicesScript, 'down', 'mongo'], { env, stdio: 'ignore' });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  try {
    const out = execFileSync('bash', [servicesScript, 'up', 'mongo'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 180_000 });
    const uri = /^MONGODB_URI=(.*)$/m.exec(out)?.[1];
    if (!uri) throw new Error(`services up mongo printed no MONGODB_URI: ${out}`);
    return { uri, pid: Number(readFileSync(join(stateDir, 'pids/mongo.pid'), 'utf8')), stop };
  } catch (err) {
    stop();
    throw err;
  }
}
