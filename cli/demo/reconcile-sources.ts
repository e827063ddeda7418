import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { quoteIdent } from '../../connectors/postgres-sink/identifiers.js';
import { OrderRules, ruleOf } from './order-rules.js';
import { reconcile, type OrderFacts, type Reconciliation } from './reconcile.js';

/** Where the orders pipeline keeps its data; the names of the shipped configs by default. */
export interface PipelineNames {
  /** MongoDB database of `orders` and `customers`. */
  readonly db: string;
  /** PostgreSQL schema of the warehouse tables. */
  readonly schema: string;
  /** Dead-letter topic of the orders sink. */
  readonly ordersDlq: string;
}

/** The MongoDB orders, split into those the pipeline must deliver and those it must reject. */
export async function readMongoOrders(db: Db): Promise<{ expected: Map<string, OrderFacts>; invalid: Map<string, string> }> {
  const customers = new Set(
    (
      await db
        .collection('customers')
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((c) => String(c._id)),
  );
  const rules = new OrderRules((id) => customers.has(id));
  const expected = new Map<string, OrderFacts>();
  const invalid = new Map<string, string>();
  for await (const doc of db.collection('orders').find({})) {
    const verdict = rules.judge(doc);
    const id = String(doc._id);
    if (verdict.valid) expected.set(id, verdict.facts);
    else invalid.set(id, verdict.rule);
  }
  return { expected, invalid };
}

export async function readWarehouseOrders(client: pg.ClientBase, schema: string): Promise<Map<string, OrderFacts>> {
  const { rows } = await client.query<{ order_id: string; status: string; total: string }>(
    `SELECT order_id, status, total::text AS total FROM ${quoteIdent(schema)}.fact_orders`,
  );
  return new Map(rows.map((r) => [r.order_id, { status: r.status, total: r.total }]));
}

/** Order ids per rule in a dead-letter topic, read from its start to its current end. */
export async function readRejections(kafka: Kafka, topic: string): Promise<Map<string, Set<string>>> {
  const rejected = new Map<string, Set<string>>();
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return rejected;
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (pending.size === 0) return rejected;
  // A group of its own that is never committed: reading the topic leaves no trace on the cluster.
  const consumer = kafka.consumer({ groupId: `conflux-reconcile-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const header = (name: string) => message.headers?.[name]?.toString() ?? '';
            const rule = ruleOf(header('conflux.error.stage'), header('conflux.error.message'));
            const id = message.key?.toString() ?? '';
            if (!rejected.has(rule)) rejected.set(rule, new Set());
            rejected.get(rule)!.add(id);
            if (BigInt(message.offset) + 1n >= ends.get(partition)!) pending.delete(partition);
            if (pending.size === 0) done();
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
  }
  return rejected;
}

/** Reads MongoDB, the warehouse and the dead-letter topic, and reconciles them. */
export async function reconcilePipeline(io: { db: Db; pg: pg.ClientBase; kafka: Kafka }, names: PipelineNames): Promise<Reconciliation> {
  // The dead-letter topic last: an order rejected while MongoDB was read is then in it.
  const { expected, invalid } = await readMongoOrders(io.db);
  const warehouse = await readWarehouseOrders(io.pg, names.schema);
  const rejected = await readRejections(io.kafka, names.ordersDlq);
  return reconcile({ expected, invalid, warehouse, rejected });
}
