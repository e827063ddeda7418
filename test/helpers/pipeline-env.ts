/**
 * What every pipeline test sets up: its names, a MongoDB database and a warehouse database of its
 * own, clients for both ends and for Kafka, and the worker with the versioned configs.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { PipelineWorker, pipelineNames, privateDatabase, type PipelineNames, type PipelineServices } from './pipeline.js';
import { services } from './services.js';

export interface PipelineEnv {
  names: PipelineNames;
  services: PipelineServices;
  worker: PipelineWorker;
  db: Db;
  warehouse: pg.Client;
  kafka: Kafka;
  registry: SchemaRegistry;
  dir: string;
}

export interface PipelineEnvOptions {
  prefix: string;
  /** Services to use instead of the shared ones (e.g. a private Kafka or PostgreSQL). */
  services?: Partial<PipelineServices>;
  overrides?: Record<string, Record<string, string>>;
  nodeArgs?: string[];
  /** `rest.auth.token` of the worker. */
  token?: string;
}

export async function pipelineEnv(t: Test, o: PipelineEnvOptions): Promise<PipelineEnv> {
  const shared = services();
  const names = pipelineNames(o.prefix);
  const base: PipelineServices = {
    kafkaBrokers: o.services?.kafkaBrokers ?? shared.kafkaBrokers.join(','),
    schemaRegistryUrl: o.services?.schemaRegistryUrl ?? shared.schemaRegistryUrl,
    mongoUri: o.services?.mongoUri ?? shared.mongoUri,
    databaseUrl: o.services?.databaseUrl ?? shared.databaseUrl,
  };
  let dir = '';
  let svc = base;
  // Undone last to first in one teardown: the worker goes before the topics and databases it uses.
  const cleanups: Array<() => Promise<unknown>> = [];
  // CONFLUX_E2E_KEEP=1 leaves a failed run's databases, topics and log for a look (connections are still closed).
  let keep = false;
  t.teardown(async () => {
    keep = Boolean(process.env.CONFLUX_E2E_KEEP) && !t.passing();
    if (keep) t.comment(`kept for inspection: ${JSON.stringify({ ...names, dir, databaseUrl: svc.databaseUrl })}`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => t.comment(`cleanup failed: ${String(err)}`));
  });

  dir = await mkdtemp(join(tmpdir(), `conflux-${o.prefix}-`));
  cleanups.push(async () => {
    // A failed run keeps the worker's log: its last lines say what the worker saw.
    if (!t.passing()) {
      const log = await readFile(join(dir, 'worker.log'), 'utf8').catch(() => '');
      t.comment(`worker log (last 60 lines):\n${log.split('\n').slice(-60).join('\n')}`);
    }
    if (!keep) await rm(dir, { recursive: true, force: true });
  });
  const warehouseDb = await privateDatabase(base.databaseUrl, names.database);
  cleanups.push(async () => {
    if (!keep) await warehouseDb.drop();
  });
  svc = { ...base, databaseUrl: warehouseDb.url };

  const mongo = new MongoClient(svc.mongoUri, { serverSelectionTimeoutMS: 15_000 });
  await mongo.connect();
  const db = mongo.db(names.database);
  cleanups.push(async () => {
    if (!keep) await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  const warehouse = new pg.Client({ connectionString: svc.databaseUrl });
  // A private PostgreSQL may be stopped by the test: an error on the idle client must not crash the run.
  warehouse.on('error', () => undefined);
  await warehouse.connect();
  cleanups.push(() => warehouse.end());

  const kafka = new Kafka({ brokers: svc.kafkaBrokers.split(','), logLevel: logLevel.NOTHING, clientId: names.database });
  cleanups.push(async () => {
    if (keep) return;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const mine = (await admin.listTopics()).filter((topic) => topic.startsWith(`${names.database}.`));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    } finally {
      await admin.disconnect();
    }
  });
  const registry = new SchemaRegistry({ host: svc.schemaRegistryUrl });

  const worker = await PipelineWorker.create({
    services: svc,
    names,
    dir,
    overrides: o.overrides ?? {},
    ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
    ...(o.token ? { token: o.token } : {}),
  });
  cleanups.push(() => worker.kill('SIGKILL'));
  return { names, services: svc, worker, db, warehouse, kafka, registry, dir };
}

/** The sinks of the pipeline with the topic each must have consumed to its end. */
export const sinksOf = (names: PipelineNames) =>
  [
    [names.ordersSink, names.ordersTopic],
    [names.customersSink, names.customersTopic],
  ] as const;
