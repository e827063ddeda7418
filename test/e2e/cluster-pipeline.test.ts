/**
 * The orders pipeline on a cluster of three `conflux distributed` worker processes, with the
 * versioned connector configs (renamed for the run; the source with three tasks), while the shop
 * generator writes live changes:
 * - SIGKILL of the worker that runs the orders sink: its tasks move to the other two, and the
 *   warehouse reconciles exactly with MongoDB;
 * - then a rolling restart of all three workers, one at a time (SIGTERM, start again), while the
 *   generator keeps writing: nothing lost, nothing doubled.
 * CONFLUX_CLUSTER_LOGS=<dir> copies the workers' logs there at the end, also of a passing run.
 */
import { copyFile, readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { ClusterWorker, clusterSettings, tasksPer, waitAgreed, type ClusterSettings } from '../helpers/cluster.js';
import { pipelineEnv, sinksOf, type PipelineEnv } from '../helpers/pipeline-env.js';
import { renamedConnectors, serviceEnv } from '../helpers/pipeline.js';
import { waitDeadLettersRight, waitReconciled } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload, type WorkloadRun } from '../helpers/shop-workload.js';

t.setTimeout(12 * 60_000);

const SESSION_MS = 6000;
/** Session timeout of the sink tasks' consumers: a moved sink task reads again once the killed worker's consumer is dropped. */
const CONSUMER_SESSION_MS = 10_000;
/** What a failover may take beyond the session timeout on a loaded 2-core machine: the rebalance, and the tasks starting elsewhere. */
const FAILOVER_MARGIN_MS = 60_000;
/** Live changes per second while workers are killed and restarted. */
const RATE = 60;
const SOURCE_TASKS = 3;
/*
 * The source's shares carry no order across collections: while the share of a new order's
 * customer moves or fails over, the order can reach the sink first. The orders sink runs with the
 * shipped enrichment settings: such an order is parked until the customers topic's watermark (the
 * smallest over the source's three tasks) passes the order's time, so a failover delays it and
 * rejects nothing. Every order the generator writes here is valid: a dead letter is a bug.
 */

/** Live changes at RATE until `until` resolves; then the run ends. */
async function liveLoad(env: PipelineEnv, seed: number, until: (progress: WorkloadRun) => Promise<void>): Promise<WorkloadRun> {
  const progress: WorkloadRun = { counts: new Map(), done: 0 };
  const stop = new AbortController();
  const run = runWorkload(env.db, { seed, customers: 0, orders: 0, changes: Number.MAX_SAFE_INTEGER, invalidRatio: 0, rate: RATE }, progress, stop.signal);
  try {
    await until(progress);
  } finally {
    stop.abort();
    await run;
  }
  return progress;
}

/** The orders sink's progress: the sum of the next offsets it stored in the warehouse. */
async function storedOffsets(env: PipelineEnv): Promise<number> {
  const res = await env.warehouse.query<{ n: string | null }>('SELECT sum(next_offset)::text AS n FROM conflux_sink_offsets WHERE connector = $1', [
    env.names.ordersSink,
  ]);
  return Number(res.rows[0]?.n ?? 0);
}

async function reconciled(t: Test, env: PipelineEnv, what: string): Promise<void> {
  const { warehouse } = await waitReconciled({
    kafka: env.kafka,
    warehouse: env.warehouse,
    db: env.db,
    sinks: sinksOf(env.names),
    timeoutMs: 180_000,
    traceTopics: [env.names.ordersTopic, env.names.ordersDlq],
  });
  const items = await env.warehouse.query<{ n: string }>('SELECT count(*)::text AS n FROM fact_order_items');
  const expectedItems = [...warehouse.orders.values()].reduce((n, o) => n + o.items.length, 0);
  t.equal(Number(items.rows[0]!.n), expectedItems, `${what}: no order line doubled or left behind`);
  t.pass(`${what}: the warehouse reconciles exactly with MongoDB (${warehouse.orders.size} orders, ${warehouse.customers.size} customers)`);
}

t.test(
  'the pipeline on three workers under live load: SIGKILL of one worker, then a rolling restart of all three; the warehouse reconciles exactly with MongoDB after each',
  async (t) => {
    const env = await pipelineEnv(t, { prefix: 'cluster' });
    const cluster: ClusterSettings = clusterSettings(env.dir, {
      'session.timeout.ms': SESSION_MS,
      'heartbeat.interval.ms': 1000,
      'consumer.session.timeout.ms': CONSUMER_SESSION_MS,
      'consumer.heartbeat.interval.ms': 1000,
      'task.restart.auto': true,
    });
    const workers: ClusterWorker[] = [];
    t.teardown(async () => {
      for (const w of workers) await w.kill('SIGKILL');
      const keepLogs = process.env.CONFLUX_CLUSTER_LOGS;
      if (keepLogs) for (const w of workers) await copyFile(w.logFile, `${keepLogs}/${w.id}.log`);
      if (t.passing()) return;
      for (const w of workers) {
        const log = await readFile(w.logFile, 'utf8').catch(() => '');
        t.comment(`${w.id} log (last 40 lines):\n${log.split('\n').slice(-40).join('\n')}`);
      }
    });
    for (const id of ['w1', 'w2', 'w3']) workers.push(await ClusterWorker.start(cluster, id, { env: serviceEnv(env.services) }));
    const ids = workers.map((w) => w.id);
    const { names } = env;
    const connectorNames = [names.source, names.ordersSink, names.customersSink];
    const tasks = { [names.source]: SOURCE_TASKS, [names.ordersSink]: 1, [names.customersSink]: 1 };

    // Each connector is created through a different worker.
    const files = renamedConnectors(names, {
      'orders-source': { 'tasks.max': String(SOURCE_TASKS) },
    });
    for (const [i, name] of connectorNames.entries()) {
      const file = files.find((f) => f.name === name)!;
      await workers[i]!.write('POST', '/connectors', file);
    }
    // Every worker runs its share: a worker that (re)joins is given tasks before the next step, so that every kill and restart moves tasks.
    const spread = () =>
      waitFor(
        'every worker to run a share of the tasks',
        async () => {
          const statuses = await waitAgreed(workers, connectorNames, 'RUNNING', { tasks });
          // Five tasks balanced over three workers: 1, 2 and 2.
          return tasksPer(statuses, ids).sort().join() === '1,2,2' ? statuses : undefined;
        },
        120_000,
      );
    const placed = await spread();
    t.same(tasksPer(placed, ids).sort(), [1, 2, 2], 'the five tasks run on all three workers');

    await runWorkload(env.db, { seed: 7, customers: 50, orders: 200, changes: 0, invalidRatio: 0 });

    // SIGKILL of the worker that runs the orders sink, about 5 s into the live load.
    const victim = workers.find((w) => w.id === placed[1]!.tasks[0]!.worker_id)!;
    const survivors = workers.filter((w) => w !== victim);
    let failoverMs = 0;
    let sinkResumedMs = 0;
    const first = await liveLoad(env, 8, async (progress) => {
      await waitFor('5 s of live changes', () => (progress.done >= RATE * 5 ? true : undefined), 60_000);
      const stored = await storedOffsets(env);
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      await waitAgreed(survivors, connectorNames, 'RUNNING', {
        tasks,
        timeoutMs: SESSION_MS + FAILOVER_MARGIN_MS,
        also: (status) => status.tasks.every((task) => task.worker_id !== victim.id),
      });
      failoverMs = Date.now() - killedAt;
      await waitFor(
        'the moved orders sink to write again',
        async () => ((await storedOffsets(env)) > stored ? true : undefined),
        CONSUMER_SESSION_MS + FAILOVER_MARGIN_MS,
      );
      sinkResumedMs = Date.now() - killedAt;
      const movedAt = progress.done;
      await waitFor('5 s more of live changes', () => (progress.done >= movedAt + RATE * 5 ? true : undefined), 60_000);
    });
    t.comment(
      `SIGKILL of ${victim.id} (it ran the orders sink): its tasks ran on ${survivors.map((w) => w.id).join(' and ')} after ${failoverMs} ms (session timeout ${SESSION_MS} ms); ` +
        `the orders sink wrote again after ${sinkResumedMs} ms (consumer session timeout ${CONSUMER_SESSION_MS} ms); ${first.done} live changes written`,
    );
    t.ok(failoverMs < SESSION_MS + FAILOVER_MARGIN_MS, `the killed worker's tasks moved within the session timeout plus ${FAILOVER_MARGIN_MS} ms`);
    await reconciled(t, env, 'after the SIGKILL');

    await victim.start();
    await spread();

    // Rolling restart: each worker in turn is stopped gracefully and started again, under load.
    const handovers: string[] = [];
    const second = await liveLoad(env, 9, async () => {
      for (const w of workers) {
        const others = workers.filter((o) => o !== w);
        const stoppedAt = Date.now();
        await w.kill('SIGTERM');
        const exitedAt = Date.now();
        await waitAgreed(others, connectorNames, 'RUNNING', { tasks, also: (status) => status.tasks.every((task) => task.worker_id !== w.id) });
        handovers.push(`${w.id} exited after ${exitedAt - stoppedAt} ms, its tasks ran elsewhere after ${Date.now() - stoppedAt} ms`);
        await w.start();
        await spread();
      }
    });
    t.comment(`rolling restart under load, stop to tasks running elsewhere: ${handovers.join(', ')}; ${second.done} live changes written`);
    t.equal(handovers.length, 3, 'every worker was stopped and started again');
    await reconciled(t, env, 'after the rolling restart');

    await waitDeadLettersRight({ kafka: env.kafka, registry: env.registry, db: env.db, topic: names.ordersDlq }, 'no valid order in the dead-letter topic');
    t.pass('no valid order was dead-lettered');
  },
);
