/**
 * Drives the Kafka Connect worker of bench/peers/connect.sh from TypeScript: start it with a state
 * directory of its own, create connectors from the files in bench/peers/config/ over its REST API,
 * wait for their status, delete them, stop the worker.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../../test/helpers/mongo-test-server.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
export const installScript = join(here, 'install.sh');
export const connectScript = join(here, 'connect.sh');
export const peerConfigDir = join(here, 'config');

export interface ConnectStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type: string;
}

/**
 * A connector file of bench/peers/config/ with its `{{placeholders}}` filled in. A placeholder
 * without a value is an error, so a config never reaches the worker half-filled.
 */
export async function peerConnectorConfig(file: string, values: Record<string, string>): Promise<{ name: string; config: Record<string, string> }> {
  const text = await readFile(join(peerConfigDir, file), 'utf8');
  const parsed = JSON.parse(text) as { name: string; config: Record<string, string> };
  const fill = (s: string) =>
    s.replace(/\{\{([a-z.]+)\}\}/g, (_, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`${file}: no value for {{${key}}}`);
      return value;
    });
  return { name: fill(parsed.name), config: Object.fromEntries(Object.entries(parsed.config).map(([k, v]) => [k, fill(v)])) };
}

export class PeerWorker {
  private constructor(
    readonly url: string,
    readonly pid: number,
    readonly logFile: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly stateDir: string,
    private readonly id: string,
    private readonly brokers: string,
  ) {}

  /**
   * Starts a Kafka Connect worker (installing the peers first if needed); `id` names its group and
   * internal topics. `avro` installs Apicurio's Avro converter as well.
   */
  static async start(id: string, brokers: string, timeoutMs = 240_000, avro = false): Promise<PeerWorker> {
    const stateDir = await mkdtemp(join(tmpdir(), 'conflux-peers-'));
    const env = { ...process.env, CONFLUX_STATE_DIR: stateDir, CONFLUX_PEERS_CONNECT_PORT: String(await freePort()), KAFKA_BROKERS: brokers };
    try {
      const { stdout } = await run('bash', [connectScript, 'up', id, ...(avro ? ['--avro'] : [])], { env, timeout: timeoutMs, maxBuffer: 1 << 20 });
      const out = Object.fromEntries(
        stdout
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (!out.PEERS_CONNECT_URL || !out.PEERS_CONNECT_PID) throw new Error(`connect.sh up printed no URL or pid: ${stdout}`);
      return new PeerWorker(out.PEERS_CONNECT_URL, Number(out.PEERS_CONNECT_PID), out.PEERS_CONNECT_LOG ?? '', env, stateDir, id, brokers);
    } catch (err) {
      await run('bash', [connectScript, 'down'], { env }).catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
      throw err;
    }
  }

  async rest<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async createConnector(connector: { name: string; config: Record<string, string> }): Promise<void> {
    const { status, body } = await this.rest('POST', '/connectors', connector);
    if (status !== 201) throw new Error(`POST /connectors ${connector.name} answered ${status}: ${JSON.stringify(body)}`);
  }

  async deleteConnector(name: string): Promise<void> {
    const { status, body } = await this.rest('DELETE', `/connectors/${encodeURIComponent(name)}`);
    if (status !== 204 && status !== 404) throw new Error(`DELETE /connectors/${name} answered ${status}: ${JSON.stringify(body)}`);
  }

  /** The connector's status; throws with the trace if the connector or a task failed. */
  async healthyStatus(name: string): Promise<ConnectStatus | undefined> {
    const { status, body } = await this.rest<ConnectStatus>('GET', `/connectors/${encodeURIComponent(name)}/status`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET /connectors/${name}/status answered ${status}: ${JSON.stringify(body)}`);
    const failed = [body.connector, ...body.tasks].find((s) => s.state === 'FAILED');
    if (failed) throw new Error(`peer connector ${name} FAILED: ${failed.trace ?? '(no trace)'}`);
    return body;
  }

  /** Stops the worker and deletes its internal topics; `keepLog` keeps its state directory (and log). */
  async stop(keepLog = false): Promise<void> {
    try {
      await run('bash', [connectScript, 'down'], { env: this.env, timeout: 60_000 });
      const admin = new Kafka({ brokers: this.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const prefix = `_conflux-peers-${this.id}-`;
        await admin.deleteTopics({ topics: (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)) });
      } finally {
        await admin.disconnect();
      }
    } finally {
      if (!keepLog) await rm(this.stateDir, { recursive: true, force: true });
    }
  }
}
