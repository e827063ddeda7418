// npm run bench:sink [-- --n 200000 --naive-n 20000 --profile]
// Pre-fills a topic with N Avro order envelopes, then writes the same data to PostgreSQL four ways
// and prints rows/s: (a) conflux's postgres-sink with ParseOrder -> EnrichCustomer -> ValidateOrder,
// (b) one INSERT per record, (c) multi-row INSERT .. ON CONFLICT in batches of 3000 (the JDBC
// sinks' method), (d) COPY of the final rows into empty tables (the bound). Each method runs in a
// child process of its own, so its peak RSS is its own.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connectors } from '../connectors/index.js';
import { copyRow } from '../connectors/postgres-sink/copy-text.js';
import { migrate } from '../connectors/postgres-sink/migrate.js';
import type { OrderChange } from '../connectors/postgres-sink/records.js';
import type { SinkRecord } from '../runtime/api/index.js';
import { parseCustomer } from '../transforms/parse-customer.js';
import { parseOrder } from '../transforms/parse-order.js';
import { predicates, transforms } from '../transforms/index.js';
import { prefillOrderTopics } from './lib/order-topics.js';
import { sinkTaskWithTables } from './sink-runner-harness.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    'naive-n': { type: 'string', default: '20000' },
    customers: { type: 'string', default: '10000' },
    phase: { type: 'string' },
    'orders-topic': { type: 'string' },
    'customers-topic': { type: 'string' },
    profile: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'abcd' },
  },
});

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source the output of 'npm run -s services -- env'`);
  return v;
}

const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING, clientId: 'bench-sink' });
const registry = new SchemaRegistry({ host: env('SCHEMA_REGISTRY_URL') });
const databaseUrl = env('DATABASE_URL');
const N = Number(args.n);

interface PhaseResult {
  method: string;
  records: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  /** (a) only: where the sink task's time went, from the runtime's own metrics. */
  breakdown?: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Orchestrator

function runPhase(phase: string, ordersTopic: string, customersTopic: string): Promise<PhaseResult> {
  const nodeArgs = ['--import', 'tsx'];
  if (args.profile && phase === 'a') nodeArgs.push('--cpu-prof', '--cpu-prof-dir', fileURLToPath(new URL('./results/', import.meta.url)));
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      fileURLToPath(import.meta.url),
      '--phase',
      phase,
      '--n',
      args.n!,
      '--naive-n',
      args['naive-n']!,
      '--orders-topic',
      ordersTopic,
      '--customers-topic',
      customersTopic,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`phase ${phase} failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line.slice(7)) as PhaseResult);
    });
  });
}

async function orchestrate() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const ordersTopic = `bench-orders-${stamp}`;
  const customersTopic = `bench-customers-${stamp}`;
  const C = Number(args.customers);
  console.error(`pre-filling ${ordersTopic} with ${N} order envelopes and ${customersTopic} with ${C} customers`);
  const filled = await prefillOrderTopics(kafka, registry, { ordersTopic, customersTopic, partitions: 4, orders: N, customers: C });
  console.error(`pre-filled in ${filled.toFixed(1)} s`);

  const results: Record<string, PhaseResult> = {};
  for (const phase of args.phases!.split('')) {
    console.error(`running ${phase} ...`);
    results[phase] = await runPhase(phase, ordersTopic, customersTopic);
    console.error(`  ${results[phase]!.method}: ${results[phase]!.rowsPerSecond.toFixed(0)} rows/s`);
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [ordersTopic, customersTopic] }).catch(() => undefined);
  await admin.disconnect();

  const rate = (k: string) => results[k]?.rowsPerSecond ?? NaN;
  const a = rate('a');
  const ratios = { 'a/d': a / rate('d'), 'a/c': a / rate('c'), 'a/b': a / rate('b') };
  const goals = { 'a/d': 0.5, 'a/c': 3, 'a/b': 20 };
  console.log(`\nbench:sink  N=${N} orders (${args['naive-n']} for b), ${C} customers, 4 partitions, one task\n`);
  console.log('| method | records | seconds | rows/s | peak RSS MiB |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of Object.values(results)) {
    console.log(`| ${r.method} | ${r.records} | ${r.seconds.toFixed(2)} | ${r.rowsPerSecond.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} |`);
  }
  console.log('\n| ratio | value | goal |');
  console.log('| --- | ---: | ---: |');
  for (const [k, v] of Object.entries(ratios))
    console.log(`| ${k} | ${v.toFixed(2)} | >= ${goals[k as keyof typeof goals]} ${v >= goals[k as keyof typeof goals] ? 'met' : 'MISSED'} |`);
  if (results.a?.breakdown) console.log(`\n(a) breakdown: ${JSON.stringify(results.a.breakdown)}`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}sink-${stamp}.json`;
  writeFileSync(file, `${JSON.stringify({ n: N, naiveN: Number(args['naive-n']), customers: C, results, ratios, goals, node: process.version }, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
}

// ---------------------------------------------------------------------------------------------
// Phases (child processes)

function result(method: string, records: number, ms: number): PhaseResult {
  return { method, records, seconds: ms / 1000, rowsPerSecond: records / (ms / 1000), peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

async function freshSchema(client: pg.Client, name: string) {
  await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await migrate(client, name);
}

const asRecord = (topic: string, partition: number, m: KafkaMessage, value: unknown): SinkRecord => ({
  topic,
  kafkaPartition: partition,
  kafkaOffset: m.offset,
  key: m.key?.toString() ?? null,
  value,
  headers: {},
  timestamp: Number(m.timestamp),
});

/** Consumes a topic from the beginning, handing decoded batches to `handle` until `limit` records. */
async function consume(topic: string, limit: number, handle: (records: SinkRecord[]) => Promise<void>) {
  const consumer = kafka.consumer({ groupId: `bench-${topic}-${process.pid}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (seen >= limit) return;
      const take = batch.messages.slice(0, limit - seen);
      const records = await Promise.all(take.map(async (m) => asRecord(topic, batch.partition, m, await registry.decode(m.value!))));
      await handle(records);
      seen += records.length;
      if (seen >= limit) finished();
    },
  });
  await done;
  await consumer.disconnect();
}

async function customerMap(topic: string) {
  const map = new Map<string, { name: string | null; email: string | null; segment: string | null }>();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const count = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  await consume(topic, count, async (records) => {
    for (const r of records) {
      const c = parseCustomer(r);
      if (c.op === 'upsert') map.set(c.id, c.customer);
    }
  });
  return map;
}

type Upsert = Extract<OrderChange, { op: 'upsert' }>;
function enriched(record: SinkRecord, customers: Awaited<ReturnType<typeof customerMap>>): Upsert {
  const change = parseOrder(record) as Upsert;
  const c = customers.get(change.order.customer_id);
  return { ...change, order: { ...change.order, customer_name: c?.name ?? null, customer_email: c?.email ?? null, customer_segment: c?.segment ?? null } };
}

const ORDER_COLUMNS =
  'order_id, customer_id, customer_name, customer_email, customer_segment, status, item_count, total, currency, created_at, updated_at, source_event_time, source_ts_ms, source_offset';
const orderValues = (c: Upsert, offset: string) => {
  const o = c.order;
  return [
    c.id,
    o.customer_id,
    o.customer_name,
    o.customer_email,
    o.customer_segment,
    o.status,
    o.item_count,
    o.total,
    o.currency,
    new Date(o.created_at).toISOString(),
    new Date(o.updated_at).toISOString(),
    new Date(c.source_ts_ms).toISOString(),
    c.source_ts_ms,
    offset,
  ];
};

async function phaseA(ordersTopic: string, customersTopic: string): Promise<PhaseResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const schema = 'bench_sink_a';
  await freshSchema(client, schema);
  const name = `bench-a-${process.pid}`;
  const { runner, tables, metrics } = sinkTaskWithTables({
    kafka,
    registry,
    plugins: { connectors, transforms, predicates },
    name,
    config: {
      'connector.class': 'postgres-sink',
      topics: ordersTopic,
      'connection.url': databaseUrl,
      'warehouse.schema': schema,
      transforms: 'parse,enrich,validate',
      'transforms.parse.type': 'ParseOrder',
      'transforms.enrich.type': 'EnrichCustomer',
      'transforms.enrich.enrich.topic': customersTopic,
      'transforms.validate.type': 'ValidateOrder',
      'transforms.validate.validate.max.future.ms': '300000',
      'errors.retry.timeout': '60000',
    },
  });
  const start = Date.now();
  const running = runner.run();
  running.catch((err: unknown) => console.error('sink task failed:', err));
  for (;;) {
    const { rows } = await client.query(`SELECT coalesce(sum(next_offset), 0)::bigint AS n FROM "${schema}".conflux_sink_offsets WHERE connector = $1`, [name]);
    if (Number(rows[0].n) >= N) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Date.now() - start;
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".fact_orders`);
  if (rows[0].n !== N) throw new Error(`(a) wrote ${rows[0].n} orders, expected ${N}`);
  await runner.stop();
  await tables.close();
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
  // put = validate + buffer; flush = the PostgreSQL transaction; the rest of the wall time is
  // fetching, decoding and transforming in the runner, and the group commits.
  const text = await metrics.text();
  const sum = (metric: string) =>
    [...text.matchAll(new RegExp(`^${metric}_(sum|count)\\{[^}]*connector="${name}"[^}]*\\} ([0-9.e+-]+)$`, 'gm'))].reduce(
      (acc, m) => ({ ...acc, [m[1]!]: (acc[m[1]!] ?? 0) + Number(m[2]) }),
      {} as Record<string, number>,
    );
  const flush = sum('conflux_sink_flush_seconds');
  const put = sum('conflux_sink_put_seconds');
  const commit = sum('conflux_offset_commit_seconds');
  return {
    ...result('(a) conflux postgres-sink, Parse -> Enrich -> Validate', N, ms),
    breakdown: {
      transactions: flush.count ?? 0,
      recordsPerTransaction: N / (flush.count || 1),
      flushSeconds: flush.sum ?? 0,
      putSeconds: put.sum ?? 0,
      groupCommitSeconds: commit.sum ?? 0,
    },
  };
}

async function phaseB(ordersTopic: string, customersTopic: string): Promise<PhaseResult> {
  const limit = Math.min(N, Number(args['naive-n']));
  const customers = await customerMap(customersTopic);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const schema = 'bench_sink_b';
  await freshSchema(client, schema);
  const sql = `WITH o AS (
      INSERT INTO "${schema}".fact_orders (${ORDER_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
      ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, total = EXCLUDED.total, updated_at = EXCLUDED.updated_at)
    INSERT INTO "${schema}".fact_order_items (order_id, line, sku, name, quantity, unit_price)
      SELECT $1, * FROM unnest($15::int[], $16::text[], $17::text[], $18::int[], $19::numeric[])
    ON CONFLICT (order_id, line) DO NOTHING`;
  const start = Date.now();
  await consume(ordersTopic, limit, async (records) => {
    for (const r of records) {
      const c = enriched(r, customers);
      await client.query(sql, [
        ...orderValues(c, r.kafkaOffset),
        c.items.map((i) => i.line),
        c.items.map((i) => i.sku),
        c.items.map((i) => i.name),
        c.items.map((i) => i.quantity),
        c.items.map((i) => i.unit_price),
      ]);
    }
  });
  const ms = Date.now() - start;
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
  return result('(b) naive: one INSERT per record', limit, ms);
}

async function phaseC(ordersTopic: string, customersTopic: string): Promise<PhaseResult> {
  const customers = await customerMap(customersTopic);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const schema = 'bench_sink_c';
  await freshSchema(client, schema);
  let pending: Array<{ c: Upsert; offset: string }> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const params: unknown[] = [];
    const tuples = batch.map(({ c, offset }) => {
      const values = orderValues(c, offset);
      const base = params.length;
      params.push(...values);
      return `(${values.map((_, i) => `$${base + i + 1}`).join(',')})`;
    });
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "${schema}".fact_orders (${ORDER_COLUMNS}) VALUES ${tuples.join(',')}
       ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, customer_name = EXCLUDED.customer_name,
         customer_email = EXCLUDED.customer_email, customer_segment = EXCLUDED.customer_segment, status = EXCLUDED.status,
         item_count = EXCLUDED.item_count, total = EXCLUDED.total, currency = EXCLUDED.currency, created_at = EXCLUDED.created_at,
         updated_at = EXCLUDED.updated_at, source_event_time = EXCLUDED.source_event_time, source_ts_ms = EXCLUDED.source_ts_ms,
         source_offset = EXCLUDED.source_offset`,
      params,
    );
    const items = batch.flatMap(({ c }) => c.items.map((i) => [c.id, i.line, i.sku, i.name, i.quantity, i.unit_price]));
    for (let i = 0; i < items.length; i += 3000) {
      const slice = items.slice(i, i + 3000);
      const p = slice.flat();
      await client.query(
        `INSERT INTO "${schema}".fact_order_items (order_id, line, sku, name, quantity, unit_price) VALUES ${slice.map((_, r) => `(${[1, 2, 3, 4, 5, 6].map((k) => `$${r * 6 + k}`).join(',')})`).join(',')}
         ON CONFLICT (order_id, line) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name, quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price`,
        p,
      );
    }
    await client.query('COMMIT');
  };
  const start = Date.now();
  await consume(ordersTopic, N, async (records) => {
    for (const r of records) {
      pending.push({ c: enriched(r, customers), offset: r.kafkaOffset });
      if (pending.length >= 3000) await flush();
    }
  });
  await flush();
  const ms = Date.now() - start;
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
  return result('(c) JDBC-style multi-row INSERT .. ON CONFLICT, 3000 per batch', N, ms);
}

async function phaseD(ordersTopic: string, customersTopic: string): Promise<PhaseResult> {
  const customers = await customerMap(customersTopic);
  const orders: string[] = [];
  const items: string[] = [];
  await consume(ordersTopic, N, async (records) => {
    for (const r of records) {
      const c = enriched(r, customers);
      orders.push(copyRow(orderValues(c, r.kafkaOffset) as Array<string | number>));
      for (const i of c.items) items.push(copyRow([c.id, i.line, i.sku, i.name, i.quantity, i.unit_price]));
    }
  });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const schema = 'bench_sink_d';
  await freshSchema(client, schema);
  const chunks = (rows: string[]) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < rows.length; i += 2000) yield rows.slice(i, i + 2000).join('');
      })(),
    );
  const start = Date.now();
  await pipeline(chunks(orders), client.query(copyFrom(`COPY "${schema}".fact_orders (${ORDER_COLUMNS}) FROM STDIN`)));
  await pipeline(chunks(items), client.query(copyFrom(`COPY "${schema}".fact_order_items (order_id, line, sku, name, quantity, unit_price) FROM STDIN`)));
  const ms = Date.now() - start;
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
  return result('(d) bound: COPY of the final rows into empty tables', N, ms);
}

const phases = { a: phaseA, b: phaseB, c: phaseC, d: phaseD };
if (args.phase) {
  const run = phases[args.phase as keyof typeof phases];
  const r = await run(args['orders-topic']!, args['customers-topic']!);
  console.log(`RESULT ${JSON.stringify(r)}`);
  process.exit(0);
} else {
  await orchestrate();
}
