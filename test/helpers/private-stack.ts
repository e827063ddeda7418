/**
 * Services of a test's own, started with scripts/services under a temporary state directory and
 * free ports, so a test may stop and restart them (an outage) without touching the shared stack.
 * Everything is torn down at the end of the test, failed or not.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { freePort, servicesScript } from './mongo-test-server.js';

const run = promisify(execFile);

export type ServiceName = 'kafka' | 'registry' | 'mongo' | 'postgres';

/** The CONFLUX_*_PORT variables each service listens on (scripts/services/lib.sh). */
const PORTS: Record<ServiceName, string[]> = {
  kafka: ['CONFLUX_KAFKA_PORT', 'CONFLUX_KAFKA_CONTROLLER_PORT', 'CONFLUX_KAFKA_SASL_PORT', 'CONFLUX_KAFKA_SSL_PORT'],
  registry: ['CONFLUX_REGISTRY_PORT', 'CONFLUX_REGISTRY_MANAGEMENT_PORT'],
  mongo: ['CONFLUX_MONGO_PORT'],
  postgres: ['CONFLUX_POSTGRES_PORT'],
};

export class PrivateStack {
  /** Connection settings printed by `services.sh up` (KAFKA_BROKERS, DATABASE_URL, ...). */
  readonly settings: Record<string, string> = {};

  private constructor(
    readonly stateDir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly services: readonly ServiceName[],
  ) {}

  /** Starts `services` in a fresh state directory on free ports; stops and removes them at teardown. */
  static async start(t: Test, services: readonly ServiceName[], timeoutMs = 240_000): Promise<PrivateStack> {
    const stateDir = await mkdtemp(join(tmpdir(), 'conflux-stack-'));
    const env: NodeJS.ProcessEnv = { ...process.env, CONFLUX_STATE_DIR: stateDir };
    for (const name of services) for (const variable of PORTS[name]) env[variable] = String(await freePort());
    const stack = new PrivateStack(stateDir, env, services);
    t.teardown(() => stack.destroy());
    await stack.up(services, timeoutMs);
    return stack;
  }

  /** Starts (or starts again) the named services and waits until they are ready. */
  async up(services: readonly ServiceName[] = this.services, timeoutMs = 240_000): Promise<void> {
    const { stdout } = await this.services_('up', services, timeoutMs);
    for (const line of stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) this.settings[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }

  /** Stops the named services (their data stays, so `up` brings the same state back). */
  async stop(services: readonly ServiceName[], timeoutMs = 60_000): Promise<void> {
    await this.services_('down', services, timeoutMs);
  }

  async restart(services: readonly ServiceName[]): Promise<void> {
    await this.stop(services);
    await this.up(services);
  }

  setting(name: string): string {
    const value = this.settings[name];
    if (!value) throw new Error(`the private stack printed no ${name} (services ${this.services.join(', ')})`);
    return value;
  }

  private async services_(command: 'up' | 'down', services: readonly ServiceName[], timeoutMs: number) {
    try {
      return await run('bash', [servicesScript, command, ...services], { env: this.env, timeout: timeoutMs, maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`services.sh ${command} ${services.join(' ')} in ${this.stateDir} failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
    }
  }

  private async destroy(): Promise<void> {
    await this.services_('down', this.services, 120_000).catch(() => undefined);
    // As root, scripts/services keeps a PostgreSQL cluster outside a private state dir (postgres.sh, pg_dir).
    const pgDir = `/var/tmp/conflux-postgres-${createHash('sha256').update(this.stateDir).digest('hex').slice(0, 12)}`;
    if (this.services.includes('postgres')) await rm(pgDir, { recursive: true, force: true });
    await rm(this.stateDir, { recursive: true, force: true });
  }
}
