/**
 * Private instances of the test services (scripts/services) for tests that stop a service on
 * purpose: an outage of the shared PostgreSQL or Kafka would break everyone else's tests. Each
 * instance runs on free ports under a state directory of its own, and is stopped and deleted at
 * teardown.
 *
 *   const pg = await startPrivateServices(t, ['postgres']);
 *   pg.env.DATABASE_URL;          // connection settings, as `services.sh env` prints them
 *   await pg.down('postgres');    // an outage
 *   await pg.up('postgres');      // back, same data and port
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { freePort, servicesScript } from './mongo-test-server.js';

const run = promisify(execFile);

export type PrivateService = 'postgres' | 'kafka';

/** The scripts' port variables of each service. */
const PORT_VARIABLES: Record<PrivateService, readonly string[]> = {
  postgres: ['CONFLUX_POSTGRES_PORT'],
  kafka: ['CONFLUX_KAFKA_PORT', 'CONFLUX_KAFKA_CONTROLLER_PORT'],
};

/** Kafka's JVM start and PostgreSQL's initdb on a loaded 2-core machine. */
const UP_TIMEOUT_MS = 240_000;

export interface PrivateServices {
  /** Connection settings of the private services (DATABASE_URL, KAFKA_BROKERS). */
  readonly env: Readonly<Record<string, string>>;
  readonly stateDir: string;
  /** Starts the services (all when none named) and waits until they are ready. */
  up(...services: PrivateService[]): Promise<void>;
  /** Stops the services (all when none named); their data stays for the next `up`. */
  down(...services: PrivateService[]): Promise<void>;
}

export async function startPrivateServices(t: Test, services: readonly PrivateService[]): Promise<PrivateServices> {
  const stateDir = await mkdtemp(join(tmpdir(), 'conflux-private-services-'));
  // Run as root, PostgreSQL runs as its own user, who must be able to reach its data directory here.
  await chmod(stateDir, 0o755);
  const ports: Record<string, string> = {};
  for (const name of services.flatMap((s) => PORT_VARIABLES[s])) ports[name] = String(await freePort());
  const scriptEnv = { ...process.env, ...ports, CONFLUX_STATE_DIR: stateDir };
  const script = async (command: 'up' | 'down', names: readonly PrivateService[]) => {
    const { stdout } = await run('bash', [servicesScript, command, ...(names.length > 0 ? names : services)], { env: scriptEnv, timeout: UP_TIMEOUT_MS });
    return stdout;
  };
  t.teardown(async () => {
    await script('down', services).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  const env: Record<string, string> = {};
  for (const line of (await script('up', services)).split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return {
    env,
    stateDir,
    up: async (...names) => void (await script('up', names)),
    down: async (...names) => void (await script('down', names)),
  };
}
