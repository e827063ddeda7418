/**
 * Workers of a conflux cluster as users run them: `conflux distributed --worker <file>` child
 * processes. Each cluster has its own group id and storage topics, so tests can run beside each
 * other on the shared services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './mongo-test-server.js';
import type { ConnectorStatus } from './pipeline.js';
import { repoRoot } from './pipeline.js';
import { uniqueName, waitFor } from './services.js';

const cli = join(repoRoot, 'bin/conflux.js');

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: export the settings of the services ('npm run services -- env')`);
  return value;
}

export interface ClusterSettings {
  group: string;
  dir: string;
  /** Worker keys every worker of the cluster gets. */
  worker: Record<string, unknown>;
}

export function clusterSettings(dir: string, worker: Record<string, unknown> = {}): ClusterSettings {
  const group = uniqueName('conflux-cluster');
  return {
    group,
    dir,
    worker: {
      'group.id': group,
      'config.storage.topic': `${group}-configs`,
      'offset.storage.topic': `${group}-offsets`,
      'status.storage.topic': `${group}-status`,
      ...worker,
    },
  };
}

export interface ClusterWorkerOptions {
  /** Environment on top of this process's, e.g. the services the connectors' ${env:..} name. */
  env?: Record<string, string>;
  /** Extra node options for the worker (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export class ClusterWorker {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  readonly logFile: string;

  private constructor(
    readonly id: string,
    readonly url: string,
    private readonly configFile: string,
    private readonly options: ClusterWorkerOptions,
  ) {
    this.logFile = `${configFile}.log`;
  }

  /** Starts a worker of the cluster and waits until its API answers. */
  static async start(cluster: ClusterSettings, id: string, options: ClusterWorkerOptions = {}): Promise<ClusterWorker> {
    const port = await freePort();
    const configFile = join(cluster.dir, `${id}.json`);
    await writeFile(
      configFile,
      JSON.stringify({
        'worker.id': id,
        'bootstrap.servers': setting('KAFKA_BROKERS'),
        'schema.registry.url': setting('SCHEMA_REGISTRY_URL'),
        'rest.port': port,
        'state.dir': join(cluster.dir, `${id}-state`),
        'config.providers.env.allowlist': 'CONFLUX_*,MONGODB_URI,DATABASE_URL',
        ...cluster.worker,
      }),
    );
    const worker = new ClusterWorker(id, `http://127.0.0.1:${port}`, configFile, options);
    await worker.start();
    return worker;
  }

  /** Starts the process (again, after a kill) and waits until its API answers. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`worker ${this.id} is already running`);
    this.spawn();
    await waitFor(
      `worker ${this.id} to answer`,
      async () => {
        if (!this.running) throw new Error(`worker ${this.id} exited (code ${await this.exited}); log: ${this.logFile}`);
        return (await this.rest('GET', '/').catch(() => ({ status: 0 }))).status === 200 ? true : undefined;
      },
      90_000,
    );
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private spawn(): void {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- start at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), cli, 'distributed', '--worker', this.configFile], {
      cwd: repoRoot,
      env: { ...process.env, ...this.options.env, CONFLUX_LOG_LEVEL: process.env.CONFLUX_LOG_LEVEL ?? 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Sends `signal` and waits until the process is gone; fails if it is not gone within `timeoutMs`. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker ${this.id} did not exit within ${timeoutMs} ms of ${signal}; log: ${this.logFile}`)), timeoutMs);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async rest<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      signal: AbortSignal.timeout(15_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** A write, retried while the worker answers 409 because the cluster rebalances; fails on any other error. */
  async write<T = unknown>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const done = await waitFor(
      `${method} ${path} on ${this.id} to be accepted`,
      async () => {
        const res = await this.rest<T & { message?: string }>(method, path, body);
        if (res.status === 409 && /rebalancing/.test(res.body?.message ?? '')) return undefined;
        if (res.status >= 300) throw new Error(`${method} ${path} on ${this.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
        return { body: res.body as T | undefined };
      },
      60_000,
    );
    return done.body;
  }

  async status(connector: string): Promise<ConnectorStatus | undefined> {
    const res = await this.rest<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(connector)}/status`);
    return res.status === 200 ? res.body : undefined;
  }
}

/** Task starts per `<connector>-<task>` on one worker, from its /metrics. */
export async function taskStarts(worker: ClusterWorker): Promise<Map<string, number>> {
  const res = await fetch(`${worker.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return new Map([...text.matchAll(/^conflux_task_starts_total\{connector="([^"]+)",task="(\d+)"\} (\d+)$/gm)].map((m) => [`${m[1]}-${m[2]}`, Number(m[3])]));
}

export interface AgreementOptions {
  /** Tasks each connector must show (by connector name, or one count for all). */
  tasks: number | Record<string, number>;
  timeoutMs?: number;
  /** A further condition on each connector's status, e.g. that no task runs on a killed worker. */
  also?: (status: ConnectorStatus) => boolean;
}

/**
 * Waits until every worker answers the same status for each connector, the connector and every
 * task in `state`; returns the statuses in the order of `names`. On timeout the error shows what
 * each worker answered last.
 */
export async function waitAgreed(workers: ClusterWorker[], names: string[], state: string, o: AgreementOptions): Promise<ConnectorStatus[]> {
  let last: unknown;
  const expected = (name: string) => (typeof o.tasks === 'number' ? o.tasks : o.tasks[name]);
  try {
    return await waitFor(
      `every worker to show ${names.join(', ')} ${state}`,
      async () => {
        const out: ConnectorStatus[] = [];
        for (const name of names) {
          const seen = await Promise.all(workers.map((w) => w.status(name)));
          last = seen;
          const status = seen[0];
          if (new Set(seen.map((s) => JSON.stringify(s))).size !== 1 || !status) return undefined;
          const settled = status.connector.state === state && status.tasks.length === expected(name) && status.tasks.every((task) => task.state === state);
          if (!settled || (o.also && !o.also(status))) return undefined;
          out.push(status);
        }
        return out;
      },
      o.timeoutMs ?? 120_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last ${JSON.stringify(last)}`, { cause: err });
  }
}

/** How many tasks of `statuses` each of `ids` runs. */
export const tasksPer = (statuses: ConnectorStatus[], ids: string[]): number[] => {
  const owners = statuses.flatMap((s) => s.tasks.map((task) => task.worker_id));
  return ids.map((id) => owners.filter((o) => o === id).length);
};

/**
 * Waits until every worker shows the connectors RUNNING with their tasks spread `per` worker (in
 * the order of `workers`): a worker that joins later is handed its share in a second rebalance,
 * so an agreement on RUNNING alone may still see the tasks on the workers that joined first.
 */
export async function waitSpread(workers: ClusterWorker[], names: string[], per: number[], o: AgreementOptions): Promise<ConnectorStatus[]> {
  const ids = workers.map((w) => w.id);
  let seen: number[] = [];
  try {
    return await waitFor(
      `the tasks to run ${per.join('/')} on ${ids.join('/')}`,
      async () => {
        const statuses = await waitAgreed(workers, names, 'RUNNING', o);
        seen = tasksPer(statuses, ids);
        return seen.every((n, i) => n === per[i]) ? statuses : undefined;
      },
      o.timeoutMs ?? 120_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last spread ${seen.join('/')}`, { cause: err });
  }
}
