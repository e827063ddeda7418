/**
 * npm run bench:snapshot [-- --documents N] [--chunk C]
 *
 * How fast mongodb-source reads a collection again while streaming (an incremental snapshot,
 * POST /connectors/{name}/snapshots) beside its initial snapshot, on the same N shop orders
 * (default 20k on the MongoDB test server, 100k on a real one), with 1 and 2 tasks:
 *   initial      startup.mode=snapshot_then_stream: the first copy, dated by the noted stream position;
 *   incremental  the same collection read again in chunks dated by each read's operationTime,
 *                progress stored per chunk, the change streams open beside it.
 * Both into a 6-partition topic as typed Avro envelopes. Prints documents/s and the worker's peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { preloadOrders } from './lib/order-preload.js';
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
    documents: { type: 'string', default: process.env.MONGODB_TEST_SERVER ? '20000' : '100000' },
    chunk: { type: 'string', default: '1000' },
  },
});
const N = Number(args.documents);
const CHUNK = args.chunk;

const brokers = process.env.KAFKA_BROKERS!.split(',');
const privateMongo = process.env.MONGODB_TEST_SERVER ? await startPrivateMongo(N + 10_000) : undefined;
const mongoUri = privateMongo?.uri ?? process.env.MONGODB_URI!;
const kafka = new Kafka({ clientId: 'bench-snapshot', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = `${process.pid}_${Date.now().toString(36)}`;
const topics: string[] = [];

interface Row extends Record<string, string | number> {
  kind: string;
  tasks: number;
  documents: number;
  seconds: number;
  'documents/s': number;
  'peak RSS MB': number;
}

async function main(): Promise<void> {
  await admin.connect();
  const client = new MongoClient(mongoUri);
  await client.connect();
  const stateDir = mkdtempSync(join(tmpdir(), 'conflux-bench-snapshot-'));
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': brokers.join(','),
    'schema.registry.url': process.env.SCHEMA_REGISTRY_URL!,
    'offset.storage.file.filename': join(stateDir, 'offsets.json'),
    'state.dir': stateDir,
  });
  const worker = createStandaloneHerder(
    config,
    { connectors: { [mongodbSource.name]: mongodbSource }, transforms: {}, predicates },
    { logs: new LogManager({ level: 'error' }) },
  );
  await worker.start();
  const db = client.db(`bench_snapshot_${run}`);
  const rows: Row[] = [];
  const counter = async (metric: string, connector: string) => {
    const m = (await worker.metrics.registry.getMetricsAsJSON()).find((x) => x.name === metric);
    return (m?.values ?? []).filter((v) => v.labels['connector'] === connector).reduce((n, v) => n + v.value, 0);
  };
  try {
    console.error(`bench:snapshot: preloading ${N} orders into ${db.databaseName}`);
    await preloadOrders(db, N);
    for (const tasks of [1, 2]) {
      const topic = `bench-snapshot-${tasks}-${run}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
      topics.push(topic);
      const name = `bench-snapshot-${tasks}-${run}`;
      let memory = new MemorySampler();
      let started = performance.now();
      await worker.createConnector(name, {
        'connector.class': 'mongodb-source',
        'connection.uri': mongoUri,
        database: db.databaseName,
        collections: 'orders',
        'topic.map': `orders:${topic}`,
        'value.schema.orders': 'config/schemas/orders.avsc',
        'startup.mode': 'snapshot_then_stream',
        'snapshot.chunk.size': CHUNK,
        'tasks.max': String(tasks),
      });
      await until('the initial snapshot', async () => (await counter('conflux_plugin_snapshot_documents_copied_total', name)) >= N, 600_000, 50);
      let seconds = (performance.now() - started) / 1000;
      rows.push({
        kind: 'initial',
        tasks,
        documents: N,
        seconds: Math.round(seconds * 10) / 10,
        'documents/s': Math.round(N / seconds),
        'peak RSS MB': memory.stop().peakRssMb,
      });

      memory = new MemorySampler();
      started = performance.now();
      const snap = await worker.startSnapshot(name, { collection: 'orders', reason: 'bench' });
      let documents = 0;
      await until(
        'the incremental snapshot',
        async () => {
          const s = (await worker.listSnapshots(name)).find((x) => x.id === snap.id)!;
          if (s.state === 'failed') throw new Error(JSON.stringify(s));
          documents = s.documents;
          return s.state === 'done';
        },
        600_000,
        100,
      );
      seconds = (performance.now() - started) / 1000;
      rows.push({
        kind: 'incremental',
        tasks,
        documents,
        seconds: Math.round(seconds * 10) / 10,
        'documents/s': Math.round(documents / seconds),
        'peak RSS MB': memory.stop().peakRssMb,
      });
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
  printTable(rows);
  for (const tasks of [1, 2]) {
    const [initial, incremental] = ['initial', 'incremental'].map((k) => rows.find((r) => r.kind === k && r.tasks === tasks)!);
    console.log(`${tasks} task(s): incremental / initial = ${Math.round((incremental!['documents/s'] / initial!['documents/s']) * 100) / 100}`);
  }
  console.log(`results: ${writeResults('snapshot', { documents: N, chunk: CHUNK, node: process.version, rows })}`);
}

await main();
