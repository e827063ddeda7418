import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterWorker, clusterSettings } from '../../test/helpers/cluster.js';
import type { Figure } from './cluster-run.js';
import type { Window } from './cluster-window.js';
import { until } from './report.js';

const profileSummary = fileURLToPath(new URL('./profile-summary.ts', import.meta.url));

export interface BenchClusterOptions {
  workers: number;
  /** Environment of the worker processes on top of this one's. */
  env?: Record<string, string>;
  /** Worker config keys on top of the cluster's. */
  worker?: Record<string, unknown>;
  /** Where the workers write CPU profiles (node --cpu-prof); none without it. */
  profileDir?: string;
}

/** A cluster of `conflux distributed` worker processes with a private group and storage topics. */
export class BenchCluster {
  private constructor(
    readonly workers: ClusterWorker[],
    readonly storageTopics: string[],
    private readonly dir: string,
    private readonly profileDir: string | undefined,
  ) {}

  static async start(o: BenchClusterOptions): Promise<BenchCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'conflux-bench-cluster-'));
    const cluster = clusterSettings(dir, {
      'session.timeout.ms': 10_000,
      'task.restart.auto': true,
      ...o.worker,
    });
    const storageTopics = ['config', 'offset', 'status'].map((kind) => cluster.worker[`${kind}.storage.topic`] as string);
    if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
    const nodeArgs = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : [];
    const started = new BenchCluster([], storageTopics, dir, o.profileDir);
    try {
      for (let i = 1; i <= o.workers; i++)
        started.workers.push(
          await ClusterWorker.start(cluster, `bench-w${i}`, {
            env: o.env,
            nodeArgs,
          }),
        );
    } catch (err) {
      await started.stop();
      throw err;
    }
    return started;
  }

  get first(): ClusterWorker {
    return this.workers[0]!;
  }

  /** Each worker's process, by worker id, for the CPU samples. */
  processes(): Record<string, number[]> {
    return Object.fromEntries(this.workers.map((w) => [w.id, w.pid === undefined ? [] : [w.pid]]));
  }

  /**
   * Creates the connector PAUSED and resumes it once all `tasks` are PAUSED on their workers and
   * `ready` holds, so every task begins the work at the same moment, wherever it runs: created
   * RUNNING, the tasks of a second worker start later than the first's, which meanwhile takes
   * more than its share (a sink task is given every partition until the group rebalances).
   */
  async startTogether(name: string, config: Record<string, string>, tasks: number, ready: () => Promise<boolean> = async () => true): Promise<void> {
    await this.first.write('POST', '/connectors', {
      name,
      config,
      initial_state: 'PAUSED',
    });
    await until(
      `${tasks} tasks of ${name} paused`,
      async () => {
        const status = await this.first.status(name);
        if (status?.tasks.some((t) => t.state === 'FAILED')) throw new Error(`${name} failed: ${JSON.stringify(status)}`);
        return status?.tasks.length === tasks && status.tasks.every((t) => t.state === 'PAUSED') && (await ready());
      },
      120_000,
      100,
    );
    await this.first.write('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }

  /** Fails unless the connector and every task run; returns the tasks per worker, e.g. "1/1". */
  async tasksPerWorker(connector: string): Promise<string> {
    const status = await this.first.status(connector);
    if (!status || status.connector.state !== 'RUNNING' || status.tasks.length === 0 || status.tasks.some((t) => t.state !== 'RUNNING')) {
      throw new Error(`${connector} did not run cleanly: ${JSON.stringify(status)}`);
    }
    return this.workers.map((w) => status.tasks.filter((t) => t.worker_id === w.id).length).join('/');
  }

  /** The figure of a measured window: checks the connector ran cleanly, stops the cluster, summarises the profiles. */
  async figure(connector: string, window: Window): Promise<Figure> {
    const tasksPerWorker = await this.tasksPerWorker(connector);
    await this.stop();
    return { workers: this.workers.length, tasksPerWorker, ...window, profiles: this.profileSummaries(window.monotonicUs) };
  }

  /** Stops every worker gracefully (so --cpu-prof writes its profile) and removes the cluster's files. */
  async stop(): Promise<void> {
    for (const w of this.workers) await w.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * After stop: each worker's profile in the measured window (monotonic microseconds), summarised
   * by self time per origin and per function (bench/lib/profile-summary.ts).
   */
  profileSummaries(window: { from: number; to: number }, top = 10): string[] {
    if (!this.profileDir) return [];
    const files = readdirSync(this.profileDir).filter((f) => f.endsWith('.cpuprofile'));
    return this.workers.map((w) => {
      const file = files.find((f) => f.split('.').includes(String(w.pid)));
      if (!file) return `${w.id}: no profile in ${this.profileDir}`;
      const path = join(this.profileDir!, file);
      const out = spawnSync(
        process.execPath,
        ['--import', 'tsx', profileSummary, path, '--top', String(top), '--by-origin', '--from', String(window.from), '--to', String(window.to)],
        {
          encoding: 'utf8',
        },
      );
      return `${w.id} (${path}):\n${(out.stdout || out.stderr).trimEnd().replace(/^/gm, '  ')}`;
    });
  }
}
