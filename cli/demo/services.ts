import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../runtime/support/project-root.js';
import { ExplainedError } from '../failures.js';

/** Each connection setting and the local service that provides it. */
export const SETTINGS = {
  MONGODB_URI: 'mongo',
  KAFKA_BROKERS: 'kafka',
  SCHEMA_REGISTRY_URL: 'registry',
  DATABASE_URL: 'postgres',
} as const;

const SCRIPT = join(projectRoot(), 'scripts/services/services.sh');

export interface ServicesResult {
  /** The local services this run asked services.sh for (empty when every setting was given). */
  readonly local: string[];
}

function run(args: string[], onStderr: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => onStderr(d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(
            new ExplainedError(
              `the local services did not start (scripts/services/services.sh ${args.join(' ')} exited with ${code}; its [services] lines above say why): ` +
                'free a port that is taken or move the service with its CONFLUX_<SERVICE>_PORT variable, or set MONGODB_URI, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL to use your own servers',
            ),
          ),
    );
  });
}

/**
 * Uses the connection settings given in the environment; for those missing, brings the local
 * services up with scripts/services/services.sh (installing them on first use) and takes their
 * settings from it. Already running services are reused, never restarted.
 */
export async function ensureServices(env: NodeJS.ProcessEnv, log: (text: string) => void): Promise<ServicesResult> {
  const local = Object.entries(SETTINGS)
    .filter(([name]) => !env[name])
    .map(([, service]) => service);
  if (local.length === 0) return { local };
  log(`starting the local services: ${local.join(', ')} (scripts/services/services.sh; the first start downloads about 230 MB)`);
  await run(['up', ...local], (text) => log(text.trimEnd()));
  const settings = await run(['env', ...local], (text) => log(text.trimEnd()));
  for (const lineText of settings.split('\n')) {
    const eq = lineText.indexOf('=');
    if (eq > 0) {
      const key = lineText.slice(0, eq);
      env[key] ??= lineText.slice(eq + 1);
    }
  }
  return { local };
}
