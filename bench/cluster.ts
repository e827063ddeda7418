/**
 * npm run bench:cluster [-- --changes N] [--tasks T]
 *
 * The same workload on a cluster of 1 and of 2 workers (`conflux distributed` child processes, a
 * private group and storage topics each): N order inserts are written to MongoDB first, then a
 * mongodb-source connector with T tasks (shares of the collection by a hash of _id, default 2)
 * captures them into Kafka as Avro envelopes, offsets committed to the offsets topic. The time
 * from the first change in Kafka to the N-th gives changes/s; the ratio 2 workers / 1 worker is
 * the scaling. With one worker both tasks share its one thread; with two, the leader puts one task
 * on each. With the MongoDB test server (MONGODB_TEST_SERVER set) the benchmark starts a test
 * server of its own, as bench:source does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db, type Timestamp } from 'mongodb';
import { preloadOrders } from './lib/order-preload.js';
import { ClusterWorker, clusterSettings } from '../test/helpers/cluster.js';
import { printTable, until, writeResults } from './lib/report.js';
import { startPrivateMongo } from './lib/private-mongo.js';
import { ensureServices } from './lib/services.js';

ensureServices(['kafka', 'registry', 'mongo']);
const { values: args } = parseArgs({
  options: {
    changes: { type: 'string', default: process.env.BENCH_CHANGES ?? (process.env.MONGODB_TEST_SERVER ? '20000' : '100000') },
    tasks: { type: 'string', default: '2' },
  },
});
const N = Number(args.changes);
const TASKS = Number(args.tasks);
const brokers = process.env.KAFKA_BROKERS!.split(',');
const privateMongo = process.env.MONGODB_TEST_SERVER ? await startPrivateMongo(N + 10_000) : undefined;
const mongoUri = privateMongo?.uri ?? process.env.MONGODB_URI!;
const kafka = new Kafka({ clientId: 'bench-cluster', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = `${process.pid}_${Date.now().toString(36)}`;
const topics: string[] = [];

interface Figure {
  workers: number;
  seconds: number;
  changesPerSec: number;
  tasksPerWorker: string;
}

const produced = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

async function measure(workerCount: number, db: Db, start: Timestamp): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'conflux-bench-cluster-'));
  const cluster = clusterSettings(dir, { 'session.timeout.ms': 10_000, 'task.restart.auto': true });
  const workers: ClusterWorker[] = [];
  const topic = `bench-cluster-${workerCount}-${run}`;
  topics.push(topic, cluster.worker['config.storage.topic'] as string, cluster.worker['offset.storage.topic'] as string, cluster.worker['status.storage.topic'] as string);
  try {
    for (let i = 1; i <= workerCount; i++) workers.push(await ClusterWorker.start(cluster, `bench-w${i}`));
    await admin.createTopics({ topics: [{ topic, numPartitions: TASKS }], waitForLeaders: true });
    await workers[0]!.write('POST', '/connectors', {
      name: 'bench-source',
      config: {
        'connector.class': 'mongodb-source',
        'connection.uri': mongoUri,
        database: db.databaseName,
        collections: 'orders',
        'topic.map': `orders:${topic}`,
        'value.schema.orders': 'config/schemas/orders.avsc',
        'startup.mode': 'timestamp',
        'startup.timestamp.ms': String(start.high * 1000),
        'poll.max.batch.size': '1000',
        'tasks.max': String(TASKS),
      },
    });
    const startedAt = performance.now();
    let first: { at: number; count: number } | undefined;
    let done = 0;
    await until(`${N} changes with ${workerCount} worker(s)`, async () => {
      const count = await produced(topic);
      const now = performance.now();
      if (!first && count > 0) first = { at: now, count };
      done = now;
      return count >= N;
    }, 900_000, 50);
    const status = await workers[0]!.status('bench-source');
    if (!status || status.tasks.some((t) => t.state !== 'RUNNING')) throw new Error(`the source did not run cleanly: ${JSON.stringify(status)}`);
    const perWorker = workers.map((w) => status.tasks.filter((t) => t.worker_id === w.id).length).join('/');
    const from = first && first.count < N ? first : { at: startedAt, count: 0 };
    const seconds = (done - from.at) / 1000;
    return { workers: workerCount, seconds, changesPerSec: Math.round((N - from.count) / seconds), tasksPerWorker: perWorker };
  } finally {
    for (const w of workers) await w.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await admin.connect();
  const client = new MongoClient(mongoUri);
  await client.connect();
  const db = client.db(`bench_cluster_${run}`);
  const figures: Figure[] = [];
  try {
    console.error(`bench:cluster: preloading ${N} order inserts into ${db.databaseName}`);
    const start = await preloadOrders(db, N);
    for (const workerCount of [1, 2]) {
      console.error(`bench:cluster: ${N} changes, ${TASKS} source tasks, ${workerCount} worker(s)`);
      figures.push(await measure(workerCount, db, start));
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    privateMongo?.stop();
  }
  printTable(figures.map((f) => ({ workers: f.workers, 'tasks per worker': f.tasksPerWorker, 'changes/s': f.changesPerSec, seconds: Math.round(f.seconds * 10) / 10 })));
  const ratio = Math.round((figures[1]!.changesPerSec / figures[0]!.changesPerSec) * 100) / 100;
  console.log(`scaling 1 -> 2 workers: ${ratio}x on ${cpus().length} cores (MongoDB, Kafka and the registry share them)`);
  const file = writeResults('cluster', { changes: N, tasks: TASKS, cores: cpus().length, node: process.version, ratio, figures });
  console.log(`results: ${file}`);
}

await main();
