/**
 * The orders pipeline as users run it: `conflux standalone` as a child process with the versioned
 * configs (config/worker.json, config/connectors/*.json). So that tests can run beside each other
 * on the shared services, the configs are copied with only their names renamed (MongoDB database,
 * topics, connectors) and the worker's port and state moved to a temp directory; everything else
 * (converters, transforms, error handling, retries) is exactly what is under version control.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './mongo-test-server.js';
import { waitFor } from './services.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repoRoot, 'bin/conflux.js');

/** The names a pipeline owns; unique per test so that runs on shared services do not meet. */
export interface PipelineNames {
  database: string;
  ordersTopic: string;
  customersTopic: string;
  ordersDlq: string;
  customersDlq: string;
  sourceDlq: string;
  source: string;
  ordersSink: string;
  customersSink: string;
}

export function pipelineNames(prefix: string): PipelineNames {
  const id = `${prefix}_${process.pid}_${Date.now().toString(36)}`.replace(/[^a-zA-Z0-9_]/g, '_');
  return {
    database: id,
    ordersTopic: `${id}.orders-cdc`,
    customersTopic: `${id}.customers-cdc`,
    ordersDlq: `${id}.orders-cdc-dlq`,
    customersDlq: `${id}.customers-cdc-dlq`,
    sourceDlq: `${id}.shop-source-dlq`,
    source: `${id}-orders-source`,
    ordersSink: `${id}-warehouse-orders`,
    customersSink: `${id}-warehouse-customers`,
  };
}

interface ConnectorFile {
  name: string;
  config: Record<string, string>;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as T;
}

/**
 * The versioned connector files with `names` in place of the shipped names. Names are replaced as
 * whole items of a list value (`topics`, `topic.map`), so nothing else in a value can change.
 * `overrides` (by connector file name, e.g. `warehouse-orders`) set individual keys on top; an empty
 * value removes the key.
 */
export function renamedConnectors(names: PipelineNames, overrides: Record<string, Record<string, string>> = {}): ConnectorFile[] {
  const renames = new Map<string, string>([
    ['orders-cdc', names.ordersTopic],
    ['customers-cdc', names.customersTopic],
    ['orders-cdc-dlq', names.ordersDlq],
    ['customers-cdc-dlq', names.customersDlq],
    ['shop-source-dlq', names.sourceDlq],
    ['orders-source', names.source],
    ['warehouse-orders', names.ordersSink],
    ['warehouse-customers', names.customersSink],
  ]);
  const topicKeys = new Set(['topics', 'topic.map', 'errors.deadletterqueue.topic.name', 'transforms.enrich.enrich.topic']);
  const files = readdirSync(join(repoRoot, 'config/connectors')).filter((f) => f.endsWith('.json'));
  return files.map((file) => {
    const shipped = readJson<ConnectorFile>(`config/connectors/${file}`);
    // An empty override removes the key; overrides name topics by their shipped names too.
    const merged: Record<string, string> = { ...shipped.config };
    for (const [key, value] of Object.entries(overrides[shipped.name] ?? {})) {
      if (value === '') delete merged[key];
      else merged[key] = value;
    }
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(merged)) {
      config[key] = topicKeys.has(key) ? value.replace(/[^,:\s]+/g, (item) => renames.get(item) ?? item) : value;
    }
    if (shipped.config['connector.class'] === 'mongodb-source') config.database = names.database;
    const name = renames.get(shipped.name);
    if (!name) throw new Error(`config/connectors/${file} names a connector (${shipped.name}) this helper does not know`);
    return { name, config };
  });
}

export interface PipelineServices {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  mongoUri: string;
  databaseUrl: string;
}

/** The environment a worker process reads its services from (the versioned configs' ${env:..}). */
export function serviceEnv(services: PipelineServices): Record<string, string> {
  return {
    KAFKA_BROKERS: services.kafkaBrokers,
    SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
    MONGODB_URI: services.mongoUri,
    DATABASE_URL: services.databaseUrl,
  };
}

export interface WorkerOptions {
  services: PipelineServices;
  names: PipelineNames;
  /** Directory for the configs, the worker state and the worker's log. */
  dir: string;
  /** Keys set on top of the versioned connector configs, by shipped connector name. */
  overrides?: Record<string, Record<string, string>>;
  /** Extra node options for the worker (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** `rest.auth.token` of the worker; the helper's own REST calls send it. */
  token?: string;
}

/** `conflux standalone` in a child process with the renamed versioned configs; killed at teardown. */
export class PipelineWorker {
  readonly url: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  starts = 0;

  private constructor(
    private readonly o: WorkerOptions,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.logFile = join(o.dir, 'worker.log');
  }

  /** Writes the configs; the caller kills the worker when done (`kill('SIGKILL')`). */
  static async create(o: WorkerOptions): Promise<PipelineWorker> {
    const port = await freePort();
    const worker = new PipelineWorker(o, port);
    const shipped = readJson<Record<string, unknown>>('config/worker.json');
    await mkdir(join(o.dir, 'connectors'), { recursive: true });
    const workerConfig = {
      ...shipped,
      'rest.port': port,
      'offset.storage.file.filename': join(o.dir, 'state/offsets.json'),
      'state.dir': join(o.dir, 'state'),
      'config.providers.file.allowed.paths': join(repoRoot, 'config'),
      ...(o.token ? { 'rest.auth.token': '${env:CONFLUX_REST_TOKEN}' } : {}),
    };
    await writeFile(join(o.dir, 'worker.json'), JSON.stringify(workerConfig, null, 2));
    for (const file of renamedConnectors(o.names, o.overrides)) {
      await writeFile(join(o.dir, 'connectors', `${file.name}.json`), JSON.stringify(file, null, 2));
    }
    return worker;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the worker and waits until every connector and task is RUNNING. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.running) throw new Error('the worker is already running');
    const { services, nodeArgs = [] } = this.o;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.starts += 1;
    log.write(`--- start ${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [...nodeArgs, cli, 'standalone', '--worker', join(this.o.dir, 'worker.json'), join(this.o.dir, 'connectors')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...serviceEnv(services),
        CONFLUX_LOG_LEVEL: process.env.CONFLUX_LOG_LEVEL ?? 'info',
        ...(this.o.token ? { CONFLUX_REST_TOKEN: this.o.token } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await this.waitRunning(timeoutMs);
  }

  /** Sends `signal` and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child!.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the worker did not exit within ${timeoutMs} ms of ${signal}; log: ${this.logFile}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private get auth(): Record<string, string> {
    return this.o.token ? { authorization: `Bearer ${this.o.token}` } : {};
  }

  async rest<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      signal: AbortSignal.timeout(10_000),
      headers: { ...this.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The sum over a connector's tasks of a gauge in `GET /metrics` (0 when absent). */
  async gauge(name: string, connector: string): Promise<number> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(10_000), headers: this.auth });
    const text = await res.text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) && line.includes(`connector="${connector}"`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /**
   * Waits up to `timeoutMs` for the connector's sink tasks to hold parked records (a join waiting
   * for its other side); true when they did. Tests kill or cut off the worker at such a moment.
   */
  async whenParked(connector: string, timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await this.gauge('conflux_sink_records_parked', connector).catch(() => 0)) > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  }

  async status(connector: string): Promise<ConnectorStatus> {
    const { status, body } = await this.rest<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(connector)}/status`);
    if (status !== 200) throw new Error(`GET /connectors/${connector}/status answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Waits until the connector and each of its tasks report `state`. */
  async waitState(connector: string, state: string, timeoutMs = 60_000): Promise<ConnectorStatus> {
    let last: ConnectorStatus | undefined;
    try {
      return await waitFor(
        `${connector} to be ${state}`,
        async () => {
          if (!this.running) throw new Error(`the worker exited (code ${await this.exited}); log: ${this.logFile}`);
          last = await this.status(connector);
          return last.connector.state === state && last.tasks.length > 0 && last.tasks.every((task) => task.state === state) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last)}`, { cause: err });
    }
  }

  /** The source positions the worker stored in its offsets file (standalone mode), by connector. */
  storedSourceOffsets(connector: string): unknown[] {
    try {
      const file = JSON.parse(readFileSync(join(this.o.dir, 'state/offsets.json'), 'utf8')) as { connectors?: Record<string, unknown[]> };
      return file.connectors?.[connector] ?? [];
    } catch {
      return [];
    }
  }

  private async waitRunning(timeoutMs: number): Promise<void> {
    const { names } = this.o;
    for (const connector of [names.source, names.customersSink, names.ordersSink]) await this.waitState(connector, 'RUNNING', timeoutMs);
  }
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type: string;
}

/** A PostgreSQL database of its own on the server of `databaseUrl`; returns its URL and how to drop it. */
export async function privateDatabase(databaseUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = name.toLowerCase();
  const query = async (sql: string) => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await query(`CREATE DATABASE "${db}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${db}`;
  // WITH (FORCE) ends the connections to the database, but a non-superuser cannot end an
  // autovacuum worker that happens to run in it ("must be a member of the role whose process is
  // being terminated"): such a worker finishes within moments, so the drop is tried again.
  const drop = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      } catch (err) {
        if (attempt >= 10 || !/must be a member of the role|is being accessed by other users/.test(String((err as Error).message))) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
      }
    }
  };
  return { url: url.toString(), drop };
}
