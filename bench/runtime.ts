/**
 * npm run bench:runtime [-- --records N]
 *
 * What the runtime costs on its hot paths: on the same records, the worker's source path against a
 * bare kafkajs producer, and the worker's sink path against a bare kafkajs consumer, each with the
 * Avro converter and (a) no transforms, (b) three cheap synchronous transforms. The bare loops do
 * the same work (same encoding, the same transform functions) with none of the runtime, so the
 * ratio is what the runtime's loops, error handling and bookkeeping cost.
 *
 * Every configuration runs --repeat times (default 3), interleaved with the others, and the table
 * shows the best run of each: on a shared machine, other load only ever slows a run down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avsc from 'avsc';
import { Kafka, logLevel, type Message } from 'kafkajs';
import type { ConnectRecord, Transform } from '../runtime/api/index.js';
import { createStandaloneHerder } from '../runtime/herder/create-herder.js';
import { loadWorkerConfig } from '../runtime/config/load-worker-config.js';
import { LogManager } from '../runtime/observability/logging.js';
import type { Herder } from '../runtime/herder/herder.js';
import { predicates } from '../transforms/index.js';
import { benchEvent, benchTransforms, benchValueSchema, countingSink, counts, numbersSource, threeTransforms } from './lib/runtime-plugins.js';
import { MemorySampler, printTable, until, writeResults } from './lib/report.js';
import { ensureServices } from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: process.env.BENCH_RECORDS ?? '200000' },
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const N = Number(args.records);
/** Each configuration runs this many times, interleaved; the best run counts (other load on the machine only slows a run down). */
const REPEAT = Number(args.repeat);
/** `--only source|sink` runs one path's worker side (and what it needs), e.g. under a profiler. */
const ONLY = args.only as 'source' | 'sink' | undefined;
const wanted = (path: 'source' | 'sink', side: 'bare kafkajs' | 'conflux') => !ONLY || (ONLY === path && side === 'conflux');
const BATCH = 1000;

ensureServices(['kafka', 'registry']);
const brokers = process.env.KAFKA_BROKERS!.split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL!;
const kafka = new Kafka({
  clientId: 'bench-runtime',
  brokers,
  logLevel: logLevel.NOTHING,
});
const registry = new SchemaRegistry({ host: registryUrl });
const admin = kafka.admin();
const run = `${process.pid}-${Date.now().toString(36)}`;
const topics: string[] = [];

interface Figure {
  path: string;
  variant: string;
  side: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  /** CPU time of this process per record (user + system): what the work costs, whatever else loads the machine. */
  cpuMicrosPerRecord: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
}

async function newTopic(name: string): Promise<string> {
  const topic = `bench-runtime-${name}-${topics.length}-${run}`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1 }],
    waitForLeaders: true,
  });
  topics.push(topic);
  return topic;
}

const highWatermark = async (topic: string) => Number((await admin.fetchTopicOffsets(topic))[0]!.high);

/**
 * Times `work` by watching `progress` from the first record seen to the last, so that connecting
 * and joining a group (the same for both sides, and not a hot path) are not counted.
 */
async function measure(path: string, variant: string, side: string, work: () => Promise<void>, progress: () => Promise<number> | number): Promise<Figure> {
  const memory = new MemorySampler();
  const startedAt = performance.now();
  let first: { at: number; count: number; cpu: NodeJS.CpuUsage } | undefined;
  const cpuAtStart = process.cpuUsage();
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  let done: number | undefined;
  const watching = until(`${N} records (${path} ${variant} ${side})`, async () => {
    const count = await progress();
    const now = performance.now();
    if (!first && count > 0) first = { at: now, count, cpu: process.cpuUsage() };
    if (count >= N && done === undefined) {
      done = now;
      cpuAtEnd = process.cpuUsage();
    }
    return count >= N;
  });
  await Promise.all([work(), watching]);
  const mem = memory.stop();
  // A run so short that the first look already saw everything is timed from its start instead.
  const from = first && first.count < N ? first : { at: startedAt, count: 0, cpu: cpuAtStart };
  const seconds = (done! - from.at) / 1000;
  const cpuMicros = cpuAtEnd!.user - from.cpu.user + (cpuAtEnd!.system - from.cpu.system);
  return {
    path,
    variant,
    side,
    records: N,
    seconds,
    recordsPerSec: Math.round((N - from.count) / seconds),
    cpuMicrosPerRecord: Math.round((cpuMicros / (N - from.count)) * 100) / 100,
    ...mem,
  };
}

function chainOf(withTransforms: boolean): Transform[] {
  // The bench transforms take no config and no context, and are created synchronously.
  return withTransforms ? Object.values(benchTransforms).map((def) => def.create({} as never, {} as never) as Transform) : [];
}

function applyAll<R extends ConnectRecord>(chain: Transform[], record: R): R | null {
  let current: R | null = record;
  for (const t of chain) {
    if (current === null) return null;
    current = t.apply(current) as R | null;
  }
  return current;
}

async function bareProducer(topic: string, withTransforms: boolean): Promise<void> {
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(benchValueSchema) }, { subject: `${topic}-value` });
  const chain = chainOf(withTransforms);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let next = 0; next < N;) {
      const messages: Message[] = [];
      for (const end = Math.min(N, next + BATCH); next < end; next++) {
        const record = applyAll(chain, {
          topic,
          key: `order-${next}`,
          value: benchEvent(next),
          headers: {},
          timestamp: Date.now(),
        });
        if (record === null) continue;
        messages.push({
          key: String(record.key),
          value: await registry.encode(id, record.value),
          headers: { ...record.headers },
          timestamp: String(record.timestamp),
        });
      }
      await producer.sendBatch({
        topicMessages: [{ topic, messages }],
        acks: -1,
      });
    }
  } finally {
    await producer.disconnect();
  }
}

async function bareConsumer(topic: string, withTransforms: boolean, progress: { count: number }): Promise<void> {
  const type = avsc.Type.forSchema(benchValueSchema as avsc.Schema);
  const chain = chainOf(withTransforms);
  const consumer = kafka.consumer({
    groupId: `bench-bare-${topic}-${withTransforms}`,
    maxBytesPerPartition: 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const finished = new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const out: ConnectRecord[] = [];
          for (const m of batch.messages) {
            const record = applyAll(chain, {
              topic,
              key: m.key?.toString() ?? null,
              value: type.fromBuffer(m.value!.subarray(5)),
              headers: { ...(m.headers as Record<string, Buffer>) },
              timestamp: Number(m.timestamp),
            });
            if (record) out.push(record);
          }
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
          resolveOffset(batch.lastOffset());
          await heartbeat();
          progress.count += batch.messages.length;
          if (progress.count >= N) resolve();
        },
      })
      .catch(reject);
  });
  try {
    await finished;
  } finally {
    await consumer.disconnect();
  }
}

async function startBenchWorker(stateDir: string): Promise<Herder> {
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': brokers.join(','),
    'schema.registry.url': registryUrl,
    'offset.storage.file.filename': join(stateDir, 'offsets.json'),
    'state.dir': stateDir,
  });
  const plugins = {
    connectors: {
      [numbersSource.name]: numbersSource,
      [countingSink.name]: countingSink,
    },
    transforms: benchTransforms,
    predicates,
  };
  const worker = createStandaloneHerder(config, plugins, {
    logs: new LogManager({ level: 'error' }),
  });
  await worker.start();
  return worker;
}

async function main(): Promise<void> {
  await admin.connect();
  const stateDir = mkdtempSync(join(tmpdir(), 'conflux-bench-runtime-'));
  const worker = await startBenchWorker(stateDir);
  const figures: Figure[] = [];
  try {
    console.error(`bench:runtime: ${N} records per run, Avro, one partition, best of ${REPEAT}`);
    for (let rep = 0; rep < REPEAT; rep++) {
      let filled = '';
      for (const [variant, withTransforms] of [
        ['avro', false],
        ['avro + 3 transforms', true],
      ] as const) {
        const extra = withTransforms ? threeTransforms : {};

        const bareTopic = await newTopic('src-bare');
        // The bare producer also fills the topic both sink sides read, so it always runs.
        const bareSource = await measure(
          'source',
          variant,
          'bare kafkajs',
          () => bareProducer(bareTopic, withTransforms),
          () => highWatermark(bareTopic),
        );
        if (wanted('source', 'bare kafkajs')) figures.push(bareSource);
        if (!withTransforms) filled = bareTopic;

        if (wanted('source', 'conflux')) {
          const workerTopic = await newTopic('src-worker');
          const source = `bench-source-${workerTopic}`;
          figures.push(
            await measure(
              'source',
              variant,
              'conflux',
              async () => {
                await worker.createConnector(source, {
                  'connector.class': numbersSource.name,
                  topic: workerTopic,
                  count: String(N),
                  'batch.size': String(BATCH),
                  'value.converter': 'avro',
                  ...extra,
                });
                await until('the source to produce everything', async () => (await highWatermark(workerTopic)) >= N);
              },
              () => highWatermark(workerTopic),
            ),
          );
          await worker.deleteConnector(source);
        }

        const progress = { count: 0 };
        if (wanted('sink', 'bare kafkajs'))
          figures.push(
            await measure(
              'sink',
              variant,
              'bare kafkajs',
              () => bareConsumer(filled, withTransforms, progress),
              () => progress.count,
            ),
          );

        const counter = `bench-sink-${filled}-${withTransforms}`;
        if (wanted('sink', 'conflux'))
          figures.push(
            await measure(
              'sink',
              variant,
              'conflux',
              async () => {
                await worker.createConnector(counter, {
                  'connector.class': countingSink.name,
                  topics: filled,
                  counter,
                  'value.converter': 'avro',
                  ...extra,
                });
                await until('the sink to count everything', () => (counts.get(counter) ?? 0) >= N);
              },
              () => counts.get(counter) ?? 0,
            ),
          );
        if (wanted('sink', 'conflux')) await worker.deleteConnector(counter);
      }
    }
  } finally {
    await worker.stop();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  }

  const best = new Map<string, Figure>();
  for (const f of figures) {
    const key = `${f.path}|${f.variant}|${f.side}`;
    if ((best.get(key)?.recordsPerSec ?? -1) < f.recordsPerSec) best.set(key, f);
  }
  const rows = [...best.values()].map((f) => {
    const bare = best.get(`${f.path}|${f.variant}|bare kafkajs`);
    return {
      path: f.path,
      variant: f.variant,
      side: f.side,
      'records/s': f.recordsPerSec,
      'ratio vs bare': !bare ? '-' : f.side === 'conflux' ? Math.round((f.recordsPerSec / bare.recordsPerSec) * 100) / 100 : 1,
      'CPU µs/record': f.cpuMicrosPerRecord,
      'peak heap MB': f.peakHeapUsedMb,
      'peak RSS MB': f.peakRssMb,
    };
  });
  printTable(rows);
  const file = writeResults('runtime', {
    records: N,
    batch: BATCH,
    repeat: REPEAT,
    node: process.version,
    best: rows,
    runs: figures,
  });
  console.log(`results: ${file}`);
}

await main();
