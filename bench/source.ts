/**
 * npm run bench:source [-- --changes N] [--repeat R]
 *
 * conflux's MongoDB source against a bare change-stream loop, on the same server and the same
 * changes: N inserts of shop orders (default 100k) are written first, then each reader starts at a
 * cluster time before the first of them and the time to get all N into Kafka is measured.
 * With the MongoDB test server (MONGODB_TEST_SERVER set) the benchmark starts a test server of its
 * own, so its preload cannot exhaust the shared one; that server keeps documents and history in a
 * 512 MB heap, which 100k shop orders plus their history overflow, so the default there is 20k.
 *   (a) conflux: a worker running mongodb-source, 1 task, typed Avro envelopes via the Schema
 *       Registry, offsets stored, into a one-partition topic;
 *   (b) bare: the same driver's watch() -> JSON.stringify -> kafkajs sendBatch per batch (the
 *       same idempotent producer settings, acks=all), no schema, no offsets.
 * Prints changes/s of each (best of --repeat runs), the ratio a/b and the worker's peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { MongoClient, type Db, type Timestamp } from 'mongodb';
import { preloadOrders, preloadedOrdersSource } from './lib/order-preload.js';
import { mongodbSource } from '../connectors/mongodb-source/index.js';
import { createStandaloneHerder } from '../runtime/herder/create-herder.js';
import { loadWorkerConfig } from '../runtime/config/load-worker-config.js';
import { LogManager } from '../runtime/observability/logging.js';
import { predicates } from '../transforms/index.js';
import { MemorySampler, printTable, until, writeResults } from './lib/report.js';
import { startPrivateMongo } from './lib/private-mongo.js';
import { ensureServices } from './lib/services.js';

ensureServices(['kafka', 'registry', 'mongo']);
const { values: args } = parseArgs({
  options: {
    changes: { type: 'string', default: process.env.BENCH_CHANGES ?? (process.env.MONGODB_TEST_SERVER ? '20000' : '100000') },
    repeat: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1000' },
  },
});
const N = Number(args.changes);
const REPEAT = Number(args.repeat);
const BATCH = Number(args.batch);

const brokers = process.env.KAFKA_BROKERS!.split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL!;
const privateMongo = process.env.MONGODB_TEST_SERVER ? await startPrivateMongo(N + 10_000) : undefined;
const mongoUri = privateMongo?.uri ?? process.env.MONGODB_URI!;
const kafka = new Kafka({ clientId: 'bench-source', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = `${process.pid}_${Date.now().toString(36)}`;
const topics: string[] = [];

interface Figure {
  side: string;
  changes: number;
  seconds: number;
  changesPerSec: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
}

const highWatermark = async (topic: string) => Number((await admin.fetchTopicOffsets(topic))[0]!.high);

async function newTopic(name: string): Promise<string> {
  const topic = `bench-source-${name}-${topics.length}-${run}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

/**
 * Writes N order inserts (after a few customers) and returns a cluster time before the first.
 * The time is a whole second (what startup.timestamp.ms can say) after an earlier write, so that
 * it lies inside the server's history even on a server started just now.
 */
/** Times `work` from the first change seen in Kafka to the N-th, as bench:runtime does. */
async function measure(side: string, work: () => Promise<void>, progress: () => Promise<number>): Promise<Figure> {
  const memory = new MemorySampler();
  const startedAt = performance.now();
  let first: { at: number; count: number } | undefined;
  let done: number | undefined;
  const watching = until(
    `${N} changes (${side})`,
    async () => {
      const count = await progress();
      const now = performance.now();
      if (!first && count > 0) first = { at: now, count };
      if (count >= N) done = now;
      return count >= N;
    },
    600_000,
  );
  await Promise.all([work(), watching]);
  const mem = memory.stop();
  const from = first && first.count < N ? first : { at: startedAt, count: 0 };
  const seconds = (done! - from.at) / 1000;
  return { side, changes: N, seconds, changesPerSec: Math.round((N - from.count) / seconds), ...mem };
}

/** (b): watch -> produce, JSON, no offsets. */
async function bareLoop(db: Db, start: Timestamp, topic: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const stream = db.collection('orders').watch([], { startAtOperationTime: start, fullDocument: 'updateLookup', batchSize: BATCH, maxAwaitTimeMS: 500 });
  try {
    let seen = 0;
    while (seen < N) {
      const messages: Message[] = [];
      for (let event = await stream.tryNext(); event !== null; event = messages.length < BATCH ? await stream.tryNext() : null) {
        const id = (event as { documentKey: { _id: { toHexString(): string } } }).documentKey._id.toHexString();
        messages.push({ key: id, value: JSON.stringify(event), timestamp: String(Date.now()) });
      }
      if (messages.length === 0) continue;
      await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
      seen += messages.length;
    }
  } finally {
    await stream.close();
    await producer.disconnect();
  }
}

async function main(): Promise<void> {
  await admin.connect();
  const client = new MongoClient(mongoUri);
  await client.connect();
  const stateDir = mkdtempSync(join(tmpdir(), 'conflux-bench-source-'));
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': brokers.join(','),
    'schema.registry.url': registryUrl,
    'offset.storage.file.filename': join(stateDir, 'offsets.json'),
    'state.dir': stateDir,
  });
  const worker = createStandaloneHerder(
    config,
    { connectors: { [mongodbSource.name]: mongodbSource }, transforms: {}, predicates },
    { logs: new LogManager({ level: 'error' }) },
  );
  await worker.start();
  const db = client.db(`bench_source_${run}`);
  const figures: Figure[] = [];
  try {
    console.error(`bench:source: preloading ${N} order inserts into ${db.databaseName}`);
    const start = await preloadOrders(db, N);
    console.error(`bench:source: ${N} changes per run, best of ${REPEAT}`);
    for (let rep = 0; rep < REPEAT; rep++) {
      const bareTopic = await newTopic('bare');
      figures.push(
        await measure(
          'bare watch -> produce (JSON, no offsets)',
          () => bareLoop(db, start, bareTopic),
          () => highWatermark(bareTopic),
        ),
      );

      const topic = await newTopic('conflux');
      const name = `bench-source-${topic}`;
      figures.push(
        await measure(
          'conflux mongodb-source (1 task, Avro)',
          async () => {
            await worker.createConnector(name, preloadedOrdersSource({ mongoUri, db, topic, start, batch: BATCH }));
            await until('the source to produce everything', async () => (await highWatermark(topic)) >= N, 600_000);
          },
          () => highWatermark(topic),
        ),
      );
      const status = worker.status(name);
      if (status.tasks.some((t) => t.state === 'FAILED')) throw new Error(`the source failed: ${JSON.stringify(status)}`);
      await worker.deleteConnector(name);
    }
  } finally {
    await worker.stop();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    rmSync(stateDir, { recursive: true, force: true });
    privateMongo?.stop();
  }

  const best = new Map<string, Figure>();
  for (const f of figures) if ((best.get(f.side)?.changesPerSec ?? -1) < f.changesPerSec) best.set(f.side, f);
  const [bare, conflux] = [...best.values()];
  const rows = [bare!, conflux!].map((f) => ({
    side: f.side,
    'changes/s': f.changesPerSec,
    seconds: Math.round(f.seconds * 10) / 10,
    'peak RSS MB': f.peakRssMb,
    'peak heap MB': f.peakHeapUsedMb,
  }));
  printTable(rows);
  const ratio = Math.round((conflux!.changesPerSec / bare!.changesPerSec) * 100) / 100;
  console.log(`ratio a/b (conflux / bare): ${ratio}   (goal >= 0.8)`);
  console.log(`worker peak RSS: ${conflux!.peakRssMb} MB`);
  const file = writeResults('source', { changes: N, batch: BATCH, repeat: REPEAT, node: process.version, ratio, best: rows, runs: figures });
  console.log(`results: ${file}`);
}

await main();
