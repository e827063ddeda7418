/**
 * npm run bench:peers [-- --changes 200000 --customers 1000 --rate 200 --seconds 30 --writers 4 --profile]
 *                      [--runs source,e2e] [--source-set poll.max.batch.size=10000] [--format json|avro]
 *
 * conflux side by side with Kafka Connect 4.3.1 + the MongoDB Kafka connector 2.0.1 + the Debezium
 * JDBC sink 3.6.0 (bench/peers/: installed from Maven Central on first use), on the same services,
 * the same data and the same machine. The data: the shop generator with seed 1 writes --customers
 * customers and --changes/2 orders, then --changes/2 updates of those orders (bench/peers/workload.ts).
 *   source: the --changes order changes from MongoDB into Kafka as JSON, by conflux's mongodb-source
 *           (1 task, 2 tasks) and by the MongoDB source connector; each reader starts at a time
 *           before the first change; changes/s from the first record in Kafka to the last.
 *   e2e:    the same changes to one row per order in PostgreSQL: conflux's pipeline (the versioned
 *           configs, renamed per run; it also carries the customers and enriches orders with them)
 *           vs MongoDB source -> Debezium JDBC sink (bench/peers/config/); changes/s and the time until
 *           every row holds its order's latest state (checked against MongoDB, not assumed); then
 *           updates at --rate for --seconds and the end-to-end latency of each (MongoDB write to
 *           PostgreSQL commit) p50/p99.
 * Each worker runs in a process of its own, started fresh for each run; peak RSS is its VmHWM and
 * CPU seconds its utime + stime from when the worker is ready until the run is done (/proc).
 * With the MongoDB test server each preload goes to a test server of its own (bench/lib/private-mongo).
 * Prints a table with the ratios conflux/peer and writes JSON to bench/results/.
 * --runs picks the parts to run; --source-set key=value (repeatable) changes one key of conflux's
 * source config in every run (an experiment: the table then no longer shows the shipped config).
 * --format avro (default json): the Avro run. Values cross Kafka as Avro through the Apicurio registry
 * on both sides: conflux's source with its `avro` converter (the versioned config's own), and the
 * peers with Apicurio's AvroConverter 2.6.13.Final on the registry's v2 API (bench/peers/config/
 * *-avro.json; the MongoDB source infers an Avro schema from each change, the JDBC sink reads it
 * back). The e2e conflux side is the versioned pipeline in both formats (it is Avro already). The
 * peer's registry artifacts must exist and be Avro, or the run fails.
 * --profile writes CPU profiles of conflux's workers to bench/results/ (summarise one with
 * `tsx bench/lib/profile-summary.ts FILE`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import pg from 'pg';
import { PipelineWorker, pipelineNames, privateDatabase, renamedConnectors, type PipelineNames } from '../test/helpers/pipeline.js';
import { printTable, until, writeResults } from './lib/report.js';
import { startPrivateMongo } from './lib/private-mongo.js';
import { ensureServices } from './lib/services.js';
import { ConfluxWorker } from './peers/conflux-worker.js';
import { PeerWorker, peerConnectorConfig } from './peers/peer-worker.js';
import { machineCpu, procStats } from './peers/proc.js';
import { preload, updatesAtRate, type Preload } from './peers/workload.js';

const { values: args } = parseArgs({
  options: {
    changes: { type: 'string', default: '200000' },
    customers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    writers: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    runs: { type: 'string', default: 'source,e2e' },
    'source-set': { type: 'string', multiple: true, default: [] },
    format: { type: 'string', default: 'json' },
  },
});
if (args.format !== 'json' && args.format !== 'avro') throw new Error(`--format ${args.format}: json or avro`);
const AVRO = args.format === 'avro';
/** The peers' connector files: the JSON run's, or their Avro twins (`-avro.json`). */
const peerFile = (base: string) => `${base}${AVRO ? '-avro' : ''}.json`;
const N = Number(args.changes);
const ORDERS = Math.floor(N / 2);
const UPDATES = N - ORDERS;
const CUSTOMERS = Number(args.customers);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WRITERS = Number(args.writers);
const SEED = Number(args.seed);
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const RUNS = new Set(args.runs!.split(','));
const sourceSet = Object.fromEntries(args['source-set']!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const nodeArgs = args.profile ? ['--cpu-prof', '--cpu-prof-dir', resultsDir] : [];

ensureServices(['kafka', 'registry', 'mongo', 'postgres']);
const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const services = {
  kafkaBrokers: setting('KAFKA_BROKERS'),
  schemaRegistryUrl: setting('SCHEMA_REGISTRY_URL'),
  mongoUri: setting('MONGODB_URI'),
  databaseUrl: setting('DATABASE_URL'),
};
/** Apicurio's own v2 REST API of the registry conflux reaches through its Confluent-compatible path (what the peers' 2.x converter speaks). */
const registryV2 = `${new URL(services.schemaRegistryUrl).origin}/apis/registry/v2`;
const run = `peers_${process.pid}_${Date.now().toString(36)}`;
const kafka = new Kafka({ clientId: 'bench-peers', brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];

interface Figure {
  run: string;
  side: 'conflux' | 'peer';
  /** Records in Kafka (source) or changes carried to the warehouse (e2e). */
  records: number;
  changesPerSec: number;
  caughtUpSeconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  p50Ms?: number;
  p99Ms?: number;
  latencySamples?: number;
  latencyWritten?: number;
  /** Of the measured window (until caught up): CPU seconds of the MongoDB test server, and cores the whole machine kept busy. */
  mongoCpuSeconds?: number;
  machineBusyCores: number;
}

/** What else worked while a side ran: the MongoDB test server's CPU and the machine's busy cores. */
function contention(mongoPid: number | undefined) {
  const mongo0 = mongoPid ? procStats(mongoPid).cpuS : NaN;
  const machine0 = machineCpu();
  const t0 = performance.now();
  return () => {
    const machine1 = machineCpu();
    return {
      ...(mongoPid ? { mongoCpuSeconds: round1(procStats(mongoPid).cpuS - mongo0) } : {}),
      machineBusyCores: Math.round(((machine1.busyS - machine0.busyS) / ((performance.now() - t0) / 1000)) * 100) / 100,
    };
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

const onExit = new Set<() => void>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const stop of onExit) stop();
    process.exit(130);
  });
}

/** Stops a private server when the benchmark is interrupted too, not only when it ends. */
function stopOnExit(stop: () => void): void {
  onExit.add(stop);
}

/** A MongoDB with the preloaded shop: a private test server when MONGODB_TEST_SERVER is set, else a database of the shared server. */
async function mongoWithPreload(
  database: string,
): Promise<{ uri: string; pid?: number; client: MongoClient; db: Db; data: Preload; close: () => Promise<void> }> {
  const history = N + CUSTOMERS + RATE * SECONDS + 10_000;
  const priv = process.env.MONGODB_TEST_SERVER ? await startPrivateMongo(history) : undefined;
  if (priv) stopOnExit(priv.stop);
  const uri = priv?.uri ?? services.mongoUri;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000 });
  await client.connect();
  const db = client.db(database);
  console.error(`bench:peers: preloading ${CUSTOMERS} customers, ${ORDERS} orders and ${UPDATES} updates into ${db.databaseName}`);
  const t0 = Date.now();
  const data = await preload(db, { seed: SEED, customers: CUSTOMERS, orders: ORDERS, updates: UPDATES });
  console.error(`bench:peers: preloaded in ${round1((Date.now() - t0) / 1000)} s`);
  return {
    uri,
    ...(priv ? { pid: priv.pid } : {}),
    client,
    db,
    data,
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
      priv?.stop();
    },
  };
}

const highWatermark = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

async function newTopic(name: string): Promise<string> {
  const topic = `${run}.${name}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

/**
 * Starts a worker, creates its connector(s), waits until `topic` holds `expected` records and
 * reads the figures; the count is read again a second later so that duplicates would show.
 */
async function measureSource(
  label: string,
  side: Figure['side'],
  topic: string,
  expected: number,
  worker: { pid: number; check: () => Promise<unknown>; create: () => Promise<void>; stop: (keep: boolean) => Promise<void> },
  mongoPid: number | undefined,
): Promise<Figure> {
  let ok = false;
  try {
    const cpu0 = procStats(worker.pid).cpuS;
    const others = contention(mongoPid);
    const t0 = performance.now();
    await worker.create();
    let first: { at: number; count: number } | undefined;
    let checked = 0;
    await until(
      `${expected} records in ${topic} (${label})`,
      async () => {
        const count = await highWatermark(topic);
        const now = performance.now();
        if (!first && count > 0) first = { at: now, count };
        if (now - checked > 2000) {
          checked = now;
          await worker.check();
        }
        return count >= expected;
      },
      1_800_000,
      100,
    );
    const t1 = performance.now();
    const stats = procStats(worker.pid);
    const load = others();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const records = await highWatermark(topic);
    if (records !== expected) throw new Error(`${label}: ${records} records in ${topic}, expected ${expected}`);
    const from = first && first.count < expected ? first : { at: t0, count: 0 };
    ok = true;
    return {
      run: label,
      side,
      records,
      changesPerSec: Math.round((expected - from.count) / ((t1 - from.at) / 1000)),
      caughtUpSeconds: round1((t1 - t0) / 1000),
      peakRssMb: stats.peakRssMb,
      cpuSeconds: round1(stats.cpuS - cpu0),
      ...load,
    };
  } finally {
    await worker.stop(!ok);
  }
}

/** conflux's versioned source config (config/connectors/orders-source.json) for the source runs: orders only, JSON (Avro with --format avro, as shipped), from `startSeconds`. */
function confluxSourceConfig(m: { uri: string; db: Db; data: Preload }, topic: string, tasks: number): Record<string, string> {
  const shipped = renamedConnectors(pipelineNames('x')).find((c) => c.config['connector.class'] === 'mongodb-source')!.config;
  const { ['value.schema.customers']: _customers, ['topic.compacted']: _compacted, ...config } = shipped;
  return {
    ...config,
    'connection.uri': m.uri,
    database: m.db.databaseName,
    collections: 'orders',
    'topic.map': `orders:${topic}`,
    'topic.partitions': '1',
    ...(AVRO ? {} : { 'value.converter': 'json' }),
    'startup.mode': 'timestamp',
    'startup.timestamp.ms': String(m.data.startSeconds * 1000),
    'tasks.max': String(tasks),
    'errors.deadletterqueue.topic.name': `${topic}-dlq`,
    ...sourceSet,
  };
}

async function sourceRuns(m: { uri: string; pid?: number; db: Db; data: Preload }): Promise<Figure[]> {
  const figures: Figure[] = [];
  const expected = m.data.orderChanges;
  for (const tasks of [1, 2]) {
    const topic = await newTopic(`source-conflux-${tasks}`);
    topics.push(`${topic}-dlq`);
    const name = `${run}-source-${tasks}`;
    const w = await ConfluxWorker.start({ ...services, mongoUri: m.uri }, nodeArgs);
    figures.push(
      await measureSource(
        `source, conflux ${tasks} task${tasks > 1 ? 's' : ''}`,
        'conflux',
        topic,
        expected,
        {
          pid: w.pid,
          check: () => w.healthyStatus(name),
          create: () => w.createConnector(name, confluxSourceConfig(m, topic, tasks)),
          stop: (keep) => w.stop(keep),
        },
        m.pid,
      ),
    );
    console.log(JSON.stringify(figures.at(-1)));
  }
  const topic = await newTopic('source-peer');
  const id = `${run}_source`;
  const peer = await PeerWorker.start(id, services.kafkaBrokers, undefined, AVRO);
  const name = `${run}-peer-source`;
  figures.push(
    await measureSource(
      'source, MongoDB connector',
      'peer',
      topic,
      expected,
      {
        pid: peer.pid,
        check: () => peer.healthyStatus(name),
        create: async () =>
          peer.createConnector(
            await peerConnectorConfig(peerFile('mongo-source-events'), {
              name,
              'mongodb.uri': m.uri,
              database: m.db.databaseName,
              topic,
              'start.seconds': String(m.data.startSeconds),
              'registry.url': registryV2,
            }),
          ),
        stop: (keep) => peer.stop(keep),
      },
      m.pid,
    ),
  );
  if (AVRO) await peerWroteAvro(topic);
  console.log(JSON.stringify(figures.at(-1)));
  return figures;
}

/** Each order's latest state in MongoDB: id (hex) -> `status updated_at(ms)`. */
async function latestOrders(db: Db): Promise<Map<string, string>> {
  const docs = await db
    .collection('orders')
    .find({}, { projection: { status: 1, updated_at: 1 } })
    .toArray();
  return new Map(docs.map((d) => [d._id.toHexString(), `${d.status as string} ${(d.updated_at as Date).getTime()}`]));
}

/** Rows that differ from MongoDB's latest state (missing, extra or stale); 0 when the warehouse holds every order as it is. */
async function differences(warehouse: pg.Client, sql: string, expected: Map<string, string>): Promise<number> {
  const { rows } = await warehouse.query<{ id: string; state: string }>(sql);
  let diff = Math.abs(rows.length - expected.size);
  for (const r of rows) if (expected.get(r.id) !== r.state) diff += 1;
  return diff;
}

/** Waits until the warehouse holds every order in its latest state (the cheap count first, then every row). */
async function caughtUp(
  what: string,
  warehouse: pg.Client,
  table: string,
  sql: string,
  expected: Map<string, string>,
  check: () => Promise<unknown>,
): Promise<void> {
  let checked = 0;
  await until(
    what,
    async () => {
      if (performance.now() - checked > 2000) {
        checked = performance.now();
        await check();
      }
      const exists = await warehouse.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [table]);
      if (!exists.rows[0].e) return false;
      const { rows } = await warehouse.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
      if (Number(rows[0]!.n) !== expected.size) return false;
      return (await differences(warehouse, sql, expected)) === 0;
    },
    1_800_000,
    500,
  );
}

async function latency(warehouse: pg.Client, sql: string, t0: number, t1: number): Promise<{ n: number; p50: number; p99: number }> {
  const { rows } = await warehouse.query<{ n: string; p50: number; p99: number }>(
    `SELECT count(*)::text AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (${sql}) l WHERE written >= to_timestamp($1 / 1000.0) AND written <= to_timestamp($2 / 1000.0)`,
    [t0, t1],
  );
  return { n: Number(rows[0]!.n), p50: Math.round(rows[0]!.p50), p99: Math.round(rows[0]!.p99) };
}

interface E2eSide {
  label: string;
  /** The MongoDB database the side reads. */
  database: string;
  side: Figure['side'];
  table: string;
  /** id (hex) and `status updated_at(ms)` per row. */
  stateSql: string;
  /** written (timestamptz) and ms (commit - write) per row. */
  latencySql: string;
  start: (
    m: { uri: string; db: Db; data: Preload },
    warehouseUrl: string,
  ) => Promise<{ pid: number; check: () => Promise<unknown>; stop: (keep: boolean) => Promise<void> }>;
  /** Records the side put in Kafka for the orders (verified against the preload). */
  ordersInKafka: () => Promise<number>;
  /** After the bulk load, before the timed updates (the peer's table gets its commit-time column). */
  beforeLatency?: (warehouse: pg.Client) => Promise<void>;
}

async function e2eRun(side: E2eSide): Promise<Figure> {
  const m = await mongoWithPreload(side.database);
  const warehouseDb = await privateDatabase(services.databaseUrl, `${run}_${side.side}`);
  const warehouse = new pg.Client({ connectionString: warehouseDb.url });
  await warehouse.connect();
  let stop: ((keep: boolean) => Promise<void>) | undefined;
  let ok = false;
  try {
    const expected = await latestOrders(m.db);
    const w = await side.start(m, warehouseDb.url);
    stop = w.stop;
    const cpu0 = procStats(w.pid).cpuS;
    const others = contention(m.pid);
    const t0 = performance.now();
    await caughtUp(`${side.label}: every order in the warehouse`, warehouse, side.table, side.stateSql, expected, w.check);
    const t1 = performance.now();
    const cpu1 = procStats(w.pid).cpuS;
    const load = others();
    const inKafka = await side.ordersInKafka();
    if (inKafka < m.data.orderChanges) throw new Error(`${side.label}: ${inKafka} order changes in Kafka, expected ${m.data.orderChanges}`);
    await side.beforeLatency?.(warehouse);
    const writes = await updatesAtRate(m.db, m.data.orderIds, RATE, SECONDS, WRITERS, UPDATES);
    await caughtUp(`${side.label}: the timed updates in the warehouse`, warehouse, side.table, side.stateSql, await latestOrders(m.db), w.check);
    const lat = await latency(warehouse, side.latencySql, writes.t0, writes.t1);
    const stats = procStats(w.pid);
    ok = true;
    return {
      run: side.label,
      side: side.side,
      records: inKafka,
      changesPerSec: Math.round(m.data.orderChanges / ((t1 - t0) / 1000)),
      caughtUpSeconds: round1((t1 - t0) / 1000),
      peakRssMb: stats.peakRssMb,
      cpuSeconds: round1(cpu1 - cpu0),
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      latencySamples: lat.n,
      latencyWritten: writes.written,
      ...load,
    };
  } finally {
    // A clean-up that fails must not throw the finished run's figures away, nor skip the others:
    // the private MongoDB server is stopped whatever happened before.
    await cleanly('stopping the worker', () => stop?.(!ok));
    await cleanly('closing the warehouse client', () => warehouse.end());
    await cleanly('dropping the warehouse database', () => warehouseDb.drop());
    await cleanly('closing MongoDB', () => m.close());
  }
}

/** Runs one step of a clean-up; a failure is reported and the next steps still run. */
async function cleanly(what: string, step: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await step();
  } catch (err) {
    console.error(`bench:peers: ${what} failed (the figures stand): ${(err as Error).message}`);
  }
}

const confluxE2e = (names: PipelineNames): E2eSide => ({
  label: 'e2e, conflux pipeline',
  database: names.database,
  side: 'conflux',
  table: 'fact_orders',
  stateSql: `SELECT order_id AS id, status || ' ' || round(extract(epoch FROM updated_at) * 1000)::bigint AS state FROM fact_orders`,
  latencySql: `SELECT updated_at AS written, extract(epoch FROM ingest_time - updated_at) * 1000 AS ms FROM fact_orders`,
  ordersInKafka: () => highWatermark(names.ordersTopic),
  start: async (m, warehouseUrl) => {
    const dir = await mkdtemp(join(tmpdir(), 'conflux-peers-e2e-'));
    const worker = await PipelineWorker.create({
      services: { ...services, mongoUri: m.uri, databaseUrl: warehouseUrl },
      names,
      dir,
      overrides: { 'orders-source': { 'startup.mode': 'timestamp', 'startup.timestamp.ms': String(m.data.startSeconds * 1000), ...sourceSet } },
      nodeArgs,
    });
    topics.push(names.ordersTopic, names.customersTopic, names.ordersDlq, names.customersDlq, names.sourceDlq);
    await worker.start();
    const check = async () => {
      for (const c of [names.source, names.ordersSink, names.customersSink]) {
        const s = await worker.status(c);
        const failed = [s.connector as { state: string; trace?: string }, ...s.tasks].find((x) => x.state === 'FAILED');
        if (failed) throw new Error(`${c} FAILED: ${failed.trace ?? ''}; log: ${worker.logFile}`);
      }
    };
    return {
      pid: worker.pid!,
      check,
      stop: async (keep) => {
        await worker.kill('SIGTERM').catch(() => worker.kill('SIGKILL'));
        if (keep) console.error(`conflux worker log: ${worker.logFile}`);
        else await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

const PEER_TABLE = 'peer_orders';
const peerE2e = (topic: string): E2eSide => ({
  label: 'e2e, MongoDB connector -> JDBC sink',
  database: `${run}_peer`,
  side: 'peer',
  table: PEER_TABLE,
  // The sink stores _id as MongoDB's JSON ({"$oid": ...}) and times as UTC without a zone.
  stateSql: `SELECT substring(_id FROM '[0-9a-f]{24}') AS id, status || ' ' || round(extract(epoch FROM updated_at AT TIME ZONE 'UTC') * 1000)::bigint AS state FROM ${PEER_TABLE}`,
  latencySql: `SELECT updated_at AT TIME ZONE 'UTC' AS written, extract(epoch FROM ingest_time - (updated_at AT TIME ZONE 'UTC')) * 1000 AS ms FROM ${PEER_TABLE}`,
  ordersInKafka: async () => {
    if (AVRO) await peerWroteAvro(topic);
    return highWatermark(topic);
  },
  start: async (m, warehouseUrl) => {
    const id = `${run}_e2e`;
    const peer = await PeerWorker.start(id, services.kafkaBrokers, undefined, AVRO);
    const u = new URL(warehouseUrl);
    const values = {
      'mongodb.uri': m.uri,
      database: m.db.databaseName,
      topic,
      'start.seconds': String(m.data.startSeconds),
      'jdbc.url': `jdbc:postgresql://${u.host}${u.pathname}`,
      'jdbc.user': decodeURIComponent(u.username),
      'jdbc.password': decodeURIComponent(u.password),
      table: PEER_TABLE,
      'registry.url': registryV2,
    };
    const [source, sink] = [`${run}-peer-e2e-source`, `${run}-peer-e2e-sink`];
    topics.push(topic);
    await peer.createConnector(await peerConnectorConfig(peerFile('mongo-source-rows'), { ...values, name: source }));
    await peer.createConnector(await peerConnectorConfig(peerFile('jdbc-sink'), { ...values, name: sink }));
    return {
      pid: peer.pid,
      check: async () => {
        await peer.healthyStatus(source);
        await peer.healthyStatus(sink);
      },
      stop: async (keep) => {
        await peer.stop(keep);
        if (keep) console.error(`peer worker log: ${peer.logFile}`);
      },
    };
  },
  // The JDBC sink writes no commit time: a trigger stamps each row as PostgreSQL writes it, the
  // same now() (transaction time) conflux's sink writes in ingest_time.
  beforeLatency: async (warehouse) => {
    await warehouse.query(`ALTER TABLE ${PEER_TABLE} ADD COLUMN ingest_time timestamptz`);
    await warehouse.query(`CREATE FUNCTION stamp_ingest_time() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.ingest_time := now(); RETURN NEW; END $$`);
    await warehouse.query(`CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON ${PEER_TABLE} FOR EACH ROW EXECUTE FUNCTION stamp_ingest_time()`);
  },
});

/**
 * With --format avro: the peer's converter registered the topic's value schema as Avro (TopicIdStrategy:
 * artifact `<topic>-value` in the default group), so the records it wrote were Avro, not JSON.
 */
async function peerWroteAvro(topic: string): Promise<void> {
  const url = `${registryV2}/groups/default/artifacts/${encodeURIComponent(`${topic}-value`)}/meta`;
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = await res.text();
  if (res.status !== 200 || (JSON.parse(body) as { type?: string }).type !== 'AVRO')
    throw new Error(`the peer registered no Avro schema for ${topic}: GET ${url} answered ${res.status} ${body}`);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '';
  return `${Math.round((a / b) * 100) / 100}x`;
}

async function main(): Promise<void> {
  await admin.connect();
  const figures: Figure[] = [];
  try {
    if (RUNS.has('source')) {
      const m = await mongoWithPreload(`${run}_source`);
      try {
        figures.push(...(await sourceRuns(m)));
      } finally {
        await cleanly('closing MongoDB', () => m.close());
      }
    }
    if (RUNS.has('e2e')) {
      figures.push(await e2eRun(confluxE2e(pipelineNames(`${run}_e2e`))));
      console.log(JSON.stringify(figures.at(-1)));
      figures.push(await e2eRun(peerE2e(`${run}.peer-orders`)));
      console.log(JSON.stringify(figures.at(-1)));
    }
  } finally {
    await cleanly('deleting the run topics', async () => {
      const existing = new Set(await admin.listTopics());
      await admin.deleteTopics({ topics: topics.filter((t) => existing.has(t)) });
    });
    await cleanly('disconnecting', () => admin.disconnect());
  }

  const by = (label: string) => figures.find((f) => f.run === label);
  const [c1, c2, ps, ce, pe] = [
    'source, conflux 1 task',
    'source, conflux 2 tasks',
    'source, MongoDB connector',
    'e2e, conflux pipeline',
    'e2e, MongoDB connector -> JDBC sink',
  ].map(by);
  const row = (what: string, c: number | undefined, p: number | undefined, better: 'higher' | 'lower') => ({
    figure: what,
    conflux: c ?? '',
    'Kafka Connect': p ?? '',
    'conflux/peer': ratio(c, p),
    better,
  });
  console.log(`format: ${args.format}, ${N} changes`);
  printTable([
    row('source changes/s, 1 task', c1?.changesPerSec, ps?.changesPerSec, 'higher'),
    row('source changes/s, conflux 2 tasks', c2?.changesPerSec, ps?.changesPerSec, 'higher'),
    row('source peak RSS MB (1 task)', c1?.peakRssMb, ps?.peakRssMb, 'lower'),
    row('source CPU s (1 task)', c1?.cpuSeconds, ps?.cpuSeconds, 'lower'),
    row('source: MongoDB server CPU s (1 task)', c1?.mongoCpuSeconds, ps?.mongoCpuSeconds, 'lower'),
    row('e2e changes/s', ce?.changesPerSec, pe?.changesPerSec, 'higher'),
    row('e2e s until caught up', ce?.caughtUpSeconds, pe?.caughtUpSeconds, 'lower'),
    row('e2e peak RSS MB', ce?.peakRssMb, pe?.peakRssMb, 'lower'),
    row('e2e CPU s (catch-up)', ce?.cpuSeconds, pe?.cpuSeconds, 'lower'),
    row(`latency p50 ms at ${RATE}/s`, ce?.p50Ms, pe?.p50Ms, 'lower'),
    row(`latency p99 ms at ${RATE}/s`, ce?.p99Ms, pe?.p99Ms, 'lower'),
  ]);
  const memory = [c1 && ps ? c1.peakRssMb <= ps.peakRssMb / 3 : undefined, ce && pe ? ce.peakRssMb <= pe.peakRssMb / 3 : undefined].filter(
    (x) => x !== undefined,
  );
  const met = (ok: boolean | undefined) => (ok === undefined ? 'not run' : ok ? 'met' : 'missed');
  const goals = {
    sourceThroughput1_5x: met(c1 && ps && c1.changesPerSec >= 1.5 * ps.changesPerSec),
    e2eThroughput3x: met(ce && pe && ce.changesPerSec >= 3 * pe.changesPerSec),
    memoryThird: met(memory.length > 0 ? memory.every(Boolean) : undefined),
    lowerP99: met(ce && pe ? (ce.p99Ms ?? Infinity) < (pe.p99Ms ?? -Infinity) : undefined),
  };
  console.log(
    `goals: ${Object.entries(goals)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  const file = writeResults('peers', {
    changes: N,
    orders: ORDERS,
    updates: UPDATES,
    customers: CUSTOMERS,
    rate: RATE,
    seconds: SECONDS,
    writers: WRITERS,
    seed: SEED,
    sourceSet,
    format: args.format,
    node: process.version,
    peers: {
      kafkaConnect: '4.3.1',
      mongoKafkaConnect: '2.0.1',
      debeziumJdbc: '3.6.0.Final',
      jvmHeap: '-Xms256M -Xmx2G',
      ...(AVRO ? { apicurioConverter: '2.6.13.Final' } : {}),
    },
    goals,
    figures,
  });
  console.log(`results: ${file}`);
}

await main();
