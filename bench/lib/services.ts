import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const servicesScript = fileURLToPath(new URL('../../scripts/services/services.sh', import.meta.url));

/**
 * Brings the named local services up (installing them on first use) and exports their connection
 * settings into this process, so a benchmark is one command on a fresh machine. Settings already
 * in the environment (a user's own cluster) win over the local services.
 */
export function ensureServices(names: readonly string[]): void {
  const wanted = names.filter((name) => !alreadyConfigured(name));
  if (wanted.length === 0) return;
  const up = spawnSync('bash', [servicesScript, 'up', ...wanted], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (up.status !== 0) throw new Error(`starting the services ${wanted.join(', ')} failed (exit ${up.status})`);
  for (const line of up.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] ??= line.slice(eq + 1);
  }
}

const settingOf: Record<string, string> = {
  kafka: 'KAFKA_BROKERS',
  registry: 'SCHEMA_REGISTRY_URL',
  mongo: 'MONGODB_URI',
  postgres: 'DATABASE_URL',
};

function alreadyConfigured(name: string): boolean {
  const key = settingOf[name];
  return key !== undefined && Boolean(process.env[key]);
}
