/**
 * npm run bench:e2e [-- --rates 50,200,1000 --invalid 0,0.02 --seconds 60 --source-set poll.await.time.ms=50 --profile --node-arg=--max-old-space-size=128]
 *
 * The whole pipeline under load: `conflux standalone` with the versioned configs (renamed so the
 * run has its own database and topics) while the shop generator writes live changes at fixed rates
 * for a fixed time each, once per share of invalid orders (--invalid; a quarter of the invalid
 * orders have an unknown customer, which the orders sink parks until the customers topic's
 * watermark decides them). Per rate and share it reports what reached the warehouse per second, the end-to-end
 * latency of the changes (MongoDB write to warehouse commit, from the rows: updated_at is set by
 * the generator when it writes, ingest_time by the sink's transaction), the worker's peak RSS and
 * CPU seconds, and whether the rate was sustained (the generator kept the rate, Kafka received it,
 * the sinks kept up and the backlog at the end was at most one second of changes).
 * --source-set key=value changes one key of the source's config for the run (e.g. poll.await.time.ms=50).
 * --profile writes a CPU profile of the worker to bench/results/ (summarise it with
 * `tsx bench/lib/profile-summary.ts FILE`).
 * Where the worker's memory goes is printed per rate, from the worker's own /metrics sampled at
 * its RSS peak: V8 heap used and reserved, memory outside the heap (Buffers, strings of
 * native modules) and the rest (code, stacks, allocator pages the heap gave back).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { PipelineWorker, pipelineNames, privateDatabase, type PipelineNames } from '../test/helpers/pipeline.js';
import { readToEnd } from '../test/helpers/reconcile.js';
import { runWorkload } from '../test/helpers/shop-workload.js';
import { mb, printTable, until, writeResults } from './lib/report.js';
import { ensureServices } from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,200,1000' },
    invalid: { type: 'string', default: '0,0.02' },
    seconds: { type: 'string', default: '60' },
    'seed-customers': { type: 'string', default: '2000' },
    'seed-orders': { type: 'string', default: '5000' },
    /** Generators writing in parallel: one awaits each write, so a high rate needs several. */
    writers: { type: 'string', default: '8' },
    profile: { type: 'boolean', default: false },
    /** An option for the worker's node process, e.g. --node-arg=--max-old-space-size=128 (repeatable). */
    'node-arg': { type: 'string', multiple: true, default: [] },
    /** key=value set on the source's config on top of config/connectors/orders-source.json (repeatable). */
    'source-set': { type: 'string', multiple: true, default: [] },
  },
});
const rates = args.rates!.split(',').map(Number);
const invalidRatios = args.invalid!.split(',').map(Number);
const seconds = Number(args.seconds);
const writers = Number(args.writers);

ensureServices(['kafka', 'registry', 'mongo', 'postgres']);
const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const env = {
  KAFKA_BROKERS: setting('KAFKA_BROKERS'),
  SCHEMA_REGISTRY_URL: setting('SCHEMA_REGISTRY_URL'),
  MONGODB_URI: setting('MONGODB_URI'),
  DATABASE_URL: setting('DATABASE_URL'),
};
const names = pipelineNames('bench');
const dir = await mkdtemp(join(tmpdir(), 'conflux-bench-e2e-'));
const warehouseDb = await privateDatabase(env.DATABASE_URL, names.database);
const mongo = new MongoClient(env.MONGODB_URI, { serverSelectionTimeoutMS: 15_000 });
await mongo.connect();
const db = mongo.db(names.database);
const warehouse = new pg.Client({ connectionString: warehouseDb.url });
await warehouse.connect();
const kafka = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const registry = new SchemaRegistry({ host: env.SCHEMA_REGISTRY_URL });
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const worker = await PipelineWorker.create({
  services: { kafkaBrokers: env.KAFKA_BROKERS, schemaRegistryUrl: env.SCHEMA_REGISTRY_URL, mongoUri: env.MONGODB_URI, databaseUrl: warehouseDb.url },
  names,
  dir,
  overrides: { 'orders-source': Object.fromEntries(args['source-set']!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) },
  nodeArgs: [...(args.profile ? ['--cpu-prof', '--cpu-prof-dir', resultsDir] : []), ...args['node-arg']!],
});

interface MemoryBreakdown {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  otherMb: number;
}

/** The worker's memory by kind, from the process metrics its /metrics endpoint exports. */
async function memoryBreakdown(url: string): Promise<MemoryBreakdown> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^conflux_process_${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  const rss = gauge('process_resident_memory_bytes');
  const heapTotal = gauge('nodejs_heap_size_total_bytes');
  const external = gauge('nodejs_external_memory_bytes');
  return {
    rssMb: mb(rss),
    heapUsedMb: mb(gauge('nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(heapTotal),
    externalMb: mb(external),
    otherMb: mb(rss - heapTotal - external),
  };
}

/** The worker's CPU seconds (user + system) and resident set, from /proc. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: mb(rssKb * 1024) };
}

const topics = (n: PipelineNames) => [n.ordersTopic, n.customersTopic];

/** Records in Kafka (sum of high watermarks) and records the sinks stored (sum of next offsets). */
async function positions(): Promise<{ produced: number; stored: number }> {
  let produced = 0;
  for (const topic of topics(names)) {
    for (const p of await admin.fetchTopicOffsets(topic)) produced += Number(p.high);
  }
  const { rows } = await warehouse.query<{ n: string | null }>('SELECT sum(next_offset)::text AS n FROM conflux_sink_offsets WHERE connector = ANY($1)', [
    [names.ordersSink, names.customersSink],
  ]);
  return { produced, stored: Number(rows[0]?.n ?? 0) };
}

async function caughtUp(what: string, timeoutMs = 180_000): Promise<void> {
  await until(
    what,
    async () => {
      // Every record in Kafka is behind the sinks' stored offsets (stored with the rows), and no
      // order waits parked: invalid orders are not in the warehouse, so the rows are not counted.
      const p = await positions();
      const parked = await worker.gauge('conflux_sink_records_parked', names.ordersSink).catch(() => 1);
      return p.produced > 0 && p.stored === p.produced && parked === 0;
    },
    timeoutMs,
    500,
  );
}

type Histogram = Map<number, number>;

/** The orders sink's conflux_sink_parked_seconds histogram: cumulative count per upper bound (s). */
async function parkedHistogram(url: string, connector: string): Promise<Histogram> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets: Histogram = new Map();
  for (const m of text.matchAll(/^conflux_sink_parked_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels['connector'] !== connector) continue;
    const le = labels['le'] === '+Inf' ? Infinity : Number(labels['le']);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** What a window added to the histogram: how many were parked, and the bucket bounds of its p99 and max. */
function diffHistogram(after: Histogram, before: Histogram): { count: number; p99Ms: number; maxMs: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((le) => [le, (after.get(le) ?? 0) - (before.get(le) ?? 0)] as const);
  const count = cumulative.at(-1)?.[1] ?? 0;
  const bound = (share: number) => {
    if (count === 0) return 0;
    const le = cumulative.find(([, n]) => n >= Math.ceil(count * share))?.[0] ?? Infinity;
    return le === Infinity ? Infinity : Math.round(le * 1000);
  };
  return { count, p99Ms: bound(0.99), maxMs: bound(1) };
}

/** Records in the orders dead-letter topic now. */
async function deadLetterCount(): Promise<number> {
  if (!(await admin.listTopics()).includes(names.ordersDlq)) return 0;
  return (await admin.fetchTopicOffsets(names.ordersDlq)).reduce((n, p) => n + Number(p.high), 0);
}

/** For the unknown-customer dead letters after the first `from`: their dead-letter time minus the order's updated_at, sorted. */
/** Dead letters of the window by reason, ids and times left out: which rule, and why a customer was unknown. */
const letterReasons = new Map<string, number>();

async function rejectionDelays(from: number): Promise<number[]> {
  const delays: number[] = [];
  let seen = 0;
  letterReasons.clear();
  await readToEnd(kafka, names.ordersDlq, async (_p, message) => {
    if (seen++ < from) return;
    const reason = String(message.headers?.['conflux.error.message'] ?? '');
    const shape = reason
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\b[0-9a-f]{24}\b/g, '…')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      .replace(/\d+/g, 'N')
      .slice(0, 140);
    letterReasons.set(shape, (letterReasons.get(shape) ?? 0) + 1);
    if (!reason.startsWith('unknown-customer')) return;
    if (!message.value) return;
    const envelope = (await registry.decode(message.value)) as { after: { updated_at: number } | null };
    if (envelope.after) delays.push(Number(message.timestamp) - envelope.after.updated_at);
  });
  return delays.sort((a, b) => a - b);
}

interface RateResult {
  rate: number;
  invalid: number;
  maxMs: number;
  /** Records the orders sink parked in the window, and the p99 and upper bound of how long (from its histogram). */
  parked: number;
  parkedP99Ms: number;
  parkedMaxMs: number;
  /** Unknown-customer orders of the window: MongoDB write to their dead letter. */
  rejected: number;
  rejectedP99Ms: number;
  rejectedMaxMs: number;
  generatorRate: number;
  kafkaRate: number;
  warehouseRate: number;
  backlogAtEnd: number;
  latencySamples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  peakRssMb: number;
  memoryAtPeak: MemoryBreakdown | undefined;
  cpuSeconds: number;
  cpuShare: number;
  sustained: boolean;
}

// Interrupted (Ctrl-C, a timeout): the worker must not outlive the benchmark.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void worker.kill('SIGKILL').finally(() => process.exit(130));
  });
}

const results: RateResult[] = [];
try {
  await worker.start();
  await runWorkload(db, { seed: 1, customers: Number(args['seed-customers']), orders: Number(args['seed-orders']), changes: 0, invalidRatio: 0 });
  await caughtUp('the initial load in the warehouse');
  let seed = 100;
  for (const rate of rates)
    for (const invalid of invalidRatios) {
      const before = await positions();
      const parkedBefore = await parkedHistogram(worker.url, names.ordersSink);
      const lettersBefore = await deadLetterCount();
      const cpu0 = procStats(worker.pid!).cpuS;
      let peakRss = 0;
      let atPeak: Promise<MemoryBreakdown | undefined> = Promise.resolve(undefined);
      const sampler = setInterval(() => {
        const rss = procStats(worker.pid!).rssMb;
        if (rss <= peakRss) return;
        peakRss = rss;
        atPeak = memoryBreakdown(worker.url).catch(() => undefined);
      }, 200);
      const t0 = Date.now();
      const runs = await Promise.all(
        Array.from({ length: writers }, () =>
          runWorkload(db, {
            seed: seed++,
            customers: 0,
            orders: 0,
            changes: Math.round((rate * seconds) / writers),
            invalidRatio: invalid,
            rate: rate / writers,
          }),
        ),
      );
      const t1 = Date.now();
      const after = await positions();
      clearInterval(sampler);
      const cpu1 = procStats(worker.pid!).cpuS;
      const elapsed = (t1 - t0) / 1000;
      const written = runs.reduce((n, r) => n + r.done, 0);
      const generatorRate = written / elapsed;
      const kafkaRate = (after.produced - before.produced) / elapsed;
      const warehouseRate = (after.stored - before.stored) / elapsed;
      const backlogAtEnd = after.produced - after.stored;
      // Every row changed by the window's writes, once caught up: latency of each row's last change.
      await caughtUp(`the warehouse to catch up after ${rate} changes/s`);
      const { rows } = await warehouse.query<{ n: string; p50: number; p95: number; p99: number; max: number }>(
        `SELECT count(*)::text AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
              max(ms) AS max
         FROM (SELECT extract(epoch FROM ingest_time - updated_at) * 1000 AS ms FROM fact_orders
                WHERE updated_at >= to_timestamp($1 / 1000.0) AND updated_at <= to_timestamp($2 / 1000.0)) l`,
        [t0, t1],
      );
      const l = rows[0]!;
      const parked = diffHistogram(await parkedHistogram(worker.url, names.ordersSink), parkedBefore);
      const rejected = await rejectionDelays(lettersBefore);
      for (const [shape, n] of [...letterReasons].sort((a, b) => b[1] - a[1])) console.log(`  dead letters at ${rate}/s ${invalid}: ${n} x ${shape}`);
      const sustained = generatorRate >= 0.95 * rate && kafkaRate >= 0.9 * generatorRate && backlogAtEnd <= Math.max(rate, 200);
      const result: RateResult = {
        rate,
        invalid,
        maxMs: Math.round(l.max ?? NaN),
        parked: parked.count,
        parkedP99Ms: parked.p99Ms,
        parkedMaxMs: parked.maxMs,
        rejected: rejected.length,
        rejectedP99Ms: rejected[Math.floor(rejected.length * 0.99)] ?? NaN,
        rejectedMaxMs: rejected.at(-1) ?? NaN,
        generatorRate: Math.round(generatorRate),
        kafkaRate: Math.round(kafkaRate),
        warehouseRate: Math.round(warehouseRate),
        backlogAtEnd,
        latencySamples: Number(l.n),
        p50Ms: Math.round(l.p50 ?? NaN),
        p95Ms: Math.round(l.p95 ?? NaN),
        p99Ms: Math.round(l.p99 ?? NaN),
        peakRssMb: peakRss,
        memoryAtPeak: await atPeak,
        cpuSeconds: Math.round((cpu1 - cpu0) * 10) / 10,
        cpuShare: Math.round(((cpu1 - cpu0) / elapsed) * 100) / 100,
        sustained,
      };
      results.push(result);
      console.log(JSON.stringify(result));
    }
} finally {
  // SIGTERM: a graceful stop, so that --cpu-prof writes its profile.
  await worker.kill('SIGTERM').catch(() => worker.kill('SIGKILL'));
  await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(`${names.database}.`)) }).catch(() => undefined);
  await admin.disconnect();
  await db.dropDatabase().catch(() => undefined);
  await mongo.close();
  await warehouse.end();
  await warehouseDb.drop();
  // What the worker waited on: its warnings by message, most frequent first.
  const warnings = new Map<string, number>();
  for (const line of readFileSync(join(dir, 'worker.log'), 'utf8').split('\n')) {
    const entry = /^\{.*"level":(4\d|5\d).*"msg":"([^"]*)"/.exec(line);
    if (entry) warnings.set(entry[2]!, (warnings.get(entry[2]!) ?? 0) + 1);
  }
  for (const [msg, n] of [...warnings].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`worker warning x${n}: ${msg}`);
  if (process.exitCode) console.error(`worker log: ${join(dir, 'worker.log')}`);
  else await rm(dir, { recursive: true, force: true });
}

printTable(
  results.map((r) => ({
    'target/s': r.rate,
    invalid: r.invalid,
    'written/s': r.generatorRate,
    'kafka/s': r.kafkaRate,
    'warehouse/s': r.warehouseRate,
    'backlog at end': r.backlogAtEnd,
    'p50 ms': r.p50Ms,
    'p95 ms': r.p95Ms,
    'p99 ms': r.p99Ms,
    'max ms': r.maxMs,
    parked: r.parked,
    'parked p99/max ms': `${r.parkedP99Ms}/${r.parkedMaxMs}`,
    'unknown-customer to DLQ p99/max ms': `${r.rejectedP99Ms}/${r.rejectedMaxMs}`,
    'peak RSS MB': r.peakRssMb,
    'CPU s': r.cpuSeconds,
    'CPU cores': r.cpuShare,
    sustained: r.sustained ? 'yes' : 'no',
  })),
);
console.log('worker memory at its peak RSS per rate (MB): V8 heap used / reserved, outside the heap, the rest');
for (const r of results) {
  const m = r.memoryAtPeak;
  console.log(
    `  ${r.rate}/s: ${m ? `RSS ${m.rssMb} = heap ${m.heapUsedMb} used / ${m.heapTotalMb} reserved + ${m.externalMb} external + ${m.otherMb} other` : 'not sampled'}`,
  );
}
const best = results.filter((r) => r.sustained).at(-1);
console.log(`highest rate sustained without growing lag: ${best ? `${best.rate} changes/s (p99 ${best.p99Ms} ms, peak RSS ${best.peakRssMb} MB)` : 'none'}`);
console.log(
  `goals: p99 < 1000 ms at that rate: ${best && best.p99Ms < 1000 ? 'met' : 'missed'}; worker RSS < 200 MB: ${Math.max(...results.map((r) => r.peakRssMb)) < 200 ? 'met' : 'missed'}`,
);
const path = writeResults('e2e', {
  seconds,
  writers,
  nodeArgs: args['node-arg'],
  sourceSet: args['source-set'],
  seed: { customers: Number(args['seed-customers']), orders: Number(args['seed-orders']) },
  results,
  highestSustained: best?.rate ?? null,
});
console.log(`results: ${path}`);
