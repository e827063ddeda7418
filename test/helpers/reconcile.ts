/**
 * The exact comparison of the orders pipeline's two ends: MongoDB (`orders`, `customers`) against
 * the warehouse (fact_orders, fact_order_items, dim_customers), and the dead-letter topic against
 * the orders that break a rule. Which orders are invalid is decided here from the documents
 * themselves (the rules as ValidateOrder documents them), not by asking the transform.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Db } from 'mongodb';
import pg from 'pg';
import { waitFor } from './services.js';

export interface Item {
  line: number;
  sku: string;
  name: string;
  quantity: number;
  /** Cents. */
  unit_price: number;
}

export interface Order {
  order_id: string;
  customer_id: string;
  status: string;
  currency: string;
  /** Cents. */
  total: number;
  created_at: number;
  updated_at: number;
  items: Item[];
}

export interface WarehouseOrderRow extends Order {
  customer_name: string | null;
  customer_email: string | null;
  customer_segment: string | null;
  item_count: number;
}

export interface Customer {
  customer_id: string;
  name: string;
  email: string | null;
  segment: string;
  city: string | null;
  country: string | null;
  created_at: number;
  updated_at: number;
}

export interface ShopState {
  orders: Map<string, Order>;
  customers: Map<string, Customer>;
}

export interface WarehouseState {
  orders: Map<string, WarehouseOrderRow>;
  customers: Map<string, Customer>;
}

/** Money as integer cents, from a decimal string ("129.9", "129.90", "-3.50"). */
export function cents(value: string | { toString(): string }): number {
  return Math.round(Number(String(value)) * 100);
}

const idOf = (v: unknown): string => (typeof v === 'string' ? v : (v as { toHexString(): string }).toHexString());
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(v));

interface RawItem {
  line: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price: unknown;
}
interface RawOrder {
  _id: unknown;
  customer_id: unknown;
  status: string;
  currency: string;
  total: unknown;
  created_at: unknown;
  updated_at: unknown;
  items: RawItem[];
}

/** An order document (BSON from MongoDB, or the Avro record of a CDC envelope) in comparable form. */
export function orderOf(doc: RawOrder): Order {
  return {
    order_id: idOf(doc._id),
    customer_id: idOf(doc.customer_id),
    status: doc.status,
    currency: doc.currency,
    total: cents(String(doc.total)),
    created_at: ms(doc.created_at),
    updated_at: ms(doc.updated_at),
    items: doc.items
      .map((it) => ({ line: it.line, sku: it.sku, name: it.name, quantity: it.quantity, unit_price: cents(String(it.unit_price)) }))
      .sort((a, b) => a.line - b.line),
  };
}

export async function readShop(db: Db): Promise<ShopState> {
  const orders = new Map<string, Order>();
  for (const doc of await db.collection('orders').find({}).toArray()) {
    const o = orderOf(doc as unknown as RawOrder);
    orders.set(o.order_id, o);
  }
  const customers = new Map<string, Customer>();
  for (const doc of await db.collection('customers').find({}).toArray()) {
    const c = doc as unknown as {
      _id: unknown;
      name: string;
      email: string | null;
      segment: string;
      address: { city: string; country: string } | null;
      created_at: Date;
      updated_at: Date;
    };
    const id = idOf(c._id);
    customers.set(id, {
      customer_id: id,
      name: c.name,
      email: c.email ?? null,
      segment: c.segment,
      city: c.address?.city ?? null,
      country: c.address?.country ?? null,
      created_at: ms(c.created_at),
      updated_at: ms(c.updated_at),
    });
  }
  return { orders, customers };
}

export async function readWarehouse(client: pg.Client): Promise<WarehouseState> {
  const orders = new Map<string, WarehouseOrderRow>();
  const rows = await client.query<{
    order_id: string;
    customer_id: string;
    customer_name: string | null;
    customer_email: string | null;
    customer_segment: string | null;
    status: string;
    item_count: number;
    total: string;
    currency: string;
    created_at: Date;
    updated_at: Date;
  }>(
    'SELECT order_id, customer_id, customer_name, customer_email, customer_segment, status, item_count, total::text AS total, currency, created_at, updated_at FROM fact_orders',
  );
  for (const r of rows.rows) {
    orders.set(r.order_id, { ...r, total: cents(r.total), created_at: r.created_at.getTime(), updated_at: r.updated_at.getTime(), items: [] });
  }
  const items = await client.query<{ order_id: string; line: number; sku: string; name: string; quantity: number; unit_price: string }>(
    'SELECT order_id, line, sku, name, quantity, unit_price::text AS unit_price FROM fact_order_items ORDER BY order_id, line',
  );
  const orphans: string[] = [];
  for (const it of items.rows) {
    const order = orders.get(it.order_id);
    const item = { line: it.line, sku: it.sku, name: it.name, quantity: it.quantity, unit_price: cents(it.unit_price) };
    if (order) order.items.push(item);
    else orphans.push(it.order_id);
  }
  // Items of an order that is not in fact_orders: keep them visible as an order without a row.
  for (const id of orphans) {
    const o = orders.get(`(items only) ${id}`) ?? ({ order_id: `(items only) ${id}`, items: [] } as unknown as WarehouseOrderRow);
    orders.set(o.order_id, o);
  }
  const customers = new Map<string, Customer>();
  const cs = await client.query<{
    customer_id: string;
    name: string;
    email: string | null;
    segment: string;
    city: string | null;
    country: string | null;
    created_at: Date;
    updated_at: Date;
  }>('SELECT customer_id, name, email, segment, city, country, created_at, updated_at FROM dim_customers');
  for (const c of cs.rows) customers.set(c.customer_id, { ...c, created_at: c.created_at.getTime(), updated_at: c.updated_at.getTime() });
  return { orders, customers };
}

/** Rules an order can break in the generated workload: ValidateOrder's names, plus the customer lookup of EnrichCustomer. */
export type Rejection = 'missing-customer' | 'quantity-positive' | 'total-matches-lines' | 'currency-iso4217';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Why the pipeline must reject `order`, in the order the transforms check (enrich, then validate), or undefined. */
export function rejectionOf(order: Order, customers: ReadonlyMap<string, Customer>): Rejection | undefined {
  if (!customers.has(order.customer_id)) return 'missing-customer';
  if (order.items.some((it) => it.quantity <= 0)) return 'quantity-positive';
  if (order.items.reduce((sum, it) => sum + it.quantity * it.unit_price, 0) !== order.total) return 'total-matches-lines';
  if (!CURRENCIES.has(order.currency)) return 'currency-iso4217';
  return undefined;
}

/** Whether a dead letter's conflux.error.message names `rule`. */
export function messageNames(message: string, rule: Rejection): boolean {
  return rule === 'missing-customer' ? /^unknown-customer: customer "[0-9a-f]{24}" of order [0-9a-f]{24} /.test(message) : message.startsWith(`${rule}: `);
}

const MAX_DIFFS = 40;

/**
 * Every difference between what MongoDB holds and what the warehouse holds, as readable lines
 * (at most 40, then a count): missing and extra orders and customers, and each differing field.
 * An order that breaks a rule must be absent from the warehouse.
 */
export function diffShopWarehouse(shop: ShopState, warehouse: WarehouseState): string[] {
  const diffs: string[] = [];
  let more = 0;
  const add = (line: string) => (diffs.length < MAX_DIFFS ? diffs.push(line) : more++);
  for (const [id, order] of shop.orders) {
    const rule = rejectionOf(order, shop.customers);
    const row = warehouse.orders.get(id);
    if (rule) {
      if (row) add(`order ${id} breaks ${rule} but is in fact_orders`);
      continue;
    }
    if (!row) {
      add(`order ${id} (${order.status}, updated ${new Date(order.updated_at).toISOString()}) is missing from fact_orders`);
      continue;
    }
    const customer = shop.customers.get(order.customer_id)!;
    const expected: Record<string, unknown> = {
      customer_id: order.customer_id,
      customer_name: customer.name,
      customer_email: customer.email,
      customer_segment: customer.segment,
      status: order.status,
      currency: order.currency,
      total: order.total,
      item_count: order.items.length,
      created_at: order.created_at,
      updated_at: order.updated_at,
      items: JSON.stringify(order.items),
    };
    const actual: Record<string, unknown> = { ...row, items: JSON.stringify(row.items) };
    for (const [field, want] of Object.entries(expected)) {
      if (actual[field] !== want) add(`order ${id} ${field}: warehouse ${JSON.stringify(actual[field])}, MongoDB ${JSON.stringify(want)}`);
    }
  }
  for (const id of warehouse.orders.keys()) if (!shop.orders.has(id)) add(`order ${id} is in the warehouse but not in MongoDB (deleted, or never there)`);
  for (const [id, customer] of shop.customers) {
    const row = warehouse.customers.get(id);
    if (!row) {
      add(`customer ${id} is missing from dim_customers`);
      continue;
    }
    for (const [field, want] of Object.entries(customer)) {
      const got = (row as unknown as Record<string, unknown>)[field];
      if (got !== want) add(`customer ${id} ${field}: warehouse ${JSON.stringify(got)}, MongoDB ${JSON.stringify(want)}`);
    }
  }
  for (const id of warehouse.customers.keys()) if (!shop.customers.has(id)) add(`customer ${id} is in dim_customers but not in MongoDB`);
  if (more > 0) diffs.push(`... and ${more} more differences`);
  return diffs;
}

/** One record of the dead-letter topic: the rejected order version and the reason headers. */
export interface DeadLetter {
  /** The record key: the order id. */
  key: string;
  op: string | undefined;
  order: Order | undefined;
  headers: Record<string, string>;
}

/** Calls `each` for every record of `topic` from its start to its end as of the call. */
export async function readToEnd(kafka: Kafka, topic: string, each: (partition: number, message: KafkaMessage) => Promise<void> | void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return;
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return;
  const consumer = kafka.consumer({ groupId: `topic-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  const reached = new Set<number>();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition);
        if (end === undefined || BigInt(message.offset) >= end) return;
        await each(partition, message);
        if (BigInt(message.offset) + 1n >= end) reached.add(partition);
      },
    });
    await waitFor(`${topic} read to its end`, () => (reached.size === ends.size ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
}

/** Every record of `topic` from the start to its current end, the order decoded from the Avro envelope. */
export async function readDeadLetters(kafka: Kafka, registry: SchemaRegistry, topic: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await readToEnd(kafka, topic, async (_partition, message) => {
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const envelope = message.value ? ((await registry.decode(message.value)) as { op: string; after: RawOrder | null }) : undefined;
    letters.push({ key: message.key?.toString() ?? '', op: envelope?.op, order: envelope?.after ? orderOf(envelope.after) : undefined, headers });
  });
  return letters;
}

/**
 * Where the records of `keys` are in each of `topics` ("partition@offset", or "none"): tells a
 * change the source never produced from one a sink never wrote.
 */
export async function traceKeys(kafka: Kafka, topics: readonly string[], keys: readonly string[]): Promise<string[]> {
  const wanted = new Set(keys);
  const found = new Map<string, string[]>();
  for (const topic of topics) {
    await readToEnd(kafka, topic, (partition, message) => {
      const key = message.key?.toString() ?? '';
      if (!wanted.has(key)) return;
      const at = `${topic}:${partition}@${message.offset}${message.value ? '' : ' (null value)'}`;
      found.set(key, [...(found.get(key) ?? []), at]);
    });
  }
  return keys.map((key) => `${key}: ${found.get(key)?.join(', ') ?? 'in none of ' + topics.join(', ')}`);
}

/**
 * Checks the dead-letter topic against MongoDB: every record in it is an order version that breaks
 * a rule, with that rule in conflux.error.message; every order that breaks a rule now has a dead
 * letter. Returns the problems as readable lines, the rules seen, and the update events without a
 * document that were dead-lettered.
 *
 * An update event carries the document as it is when the change stream looks it up
 * (fullDocument: updateLookup); MongoDB documents that it is null when the document was deleted
 * in between. ParseOrder dead-letters such an event; that loses nothing only when the order is in
 * fact gone, so such a letter is a problem when MongoDB still holds the order.
 */
export function checkDeadLetters(
  shop: ShopState,
  letters: readonly DeadLetter[],
): { problems: string[]; rules: Map<Rejection, number>; updatesOfDeleted: number } {
  let updatesOfDeleted = 0;
  const problems: string[] = [];
  const rules = new Map<Rejection, number>();
  const lettered = new Set<string>();
  for (const letter of letters) {
    const message = letter.headers['conflux.error.message'] ?? '';
    if (!letter.order) {
      if (letter.op === 'u' && !shop.orders.has(letter.key)) updatesOfDeleted++;
      else
        problems.push(
          `order ${letter.key}: a dead letter of op ${letter.op} without an order document, the order is ${shop.orders.has(letter.key) ? 'still in MongoDB' : 'deleted'}: ${message}`,
        );
      continue;
    }
    lettered.add(letter.order.order_id);
    const rule = rejectionOf(letter.order, shop.customers);
    if (!rule) problems.push(`order ${letter.order.order_id} is valid but was dead-lettered: ${message}`);
    else if (!messageNames(message, rule)) problems.push(`order ${letter.order.order_id} breaks ${rule} but its dead letter says: ${message}`);
    else rules.set(rule, (rules.get(rule) ?? 0) + 1);
  }
  for (const [id, order] of shop.orders) {
    const rule = rejectionOf(order, shop.customers);
    if (rule && !lettered.has(id)) problems.push(`order ${id} breaks ${rule} but has no dead letter`);
  }
  return { problems: problems.slice(0, MAX_DIFFS), rules, updatesOfDeleted };
}

/** The next offset the sink stored in the warehouse per partition of `topic`, against the topic's end. */
export async function sinkBehind(kafka: Kafka, client: pg.Client, connector: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const stored = await client.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset::text FROM conflux_sink_offsets WHERE connector = $1 AND topic = $2',
      [connector, topic],
    );
    const next = new Map(stored.rows.map((r) => [r.partition, BigInt(r.next_offset)]));
    return ends.reduce((sum, p) => sum + Number(BigInt(p.high) - (next.get(p.partition) ?? BigInt(p.low))), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface CatchUp {
  kafka: Kafka;
  warehouse: pg.Client;
  db: Db;
  /** [connector, topic] pairs of the sinks that must have stored the end of their topic. */
  sinks: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  /** Topics searched for the orders still missing at the timeout (the change topic, its dead letters). */
  traceTopics?: readonly string[];
}

/**
 * Waits until the warehouse equals MongoDB and every sink stored the end of its topic, so nothing
 * is in flight. On timeout the error lists the remaining differences and how far each sink is behind.
 */
export async function waitReconciled(o: CatchUp): Promise<{ shop: ShopState; warehouse: WarehouseState }> {
  let diffs: string[] = [];
  let behind: number[] = [];
  let missing: string[] = [];
  try {
    return await waitFor(
      'the warehouse to reconcile with MongoDB',
      async () => {
        const shop = await readShop(o.db);
        const warehouse = await readWarehouse(o.warehouse);
        diffs = diffShopWarehouse(shop, warehouse);
        missing = [...shop.orders.keys()].filter((id) => !warehouse.orders.has(id) && !rejectionOf(shop.orders.get(id)!, shop.customers));
        if (diffs.length > 0) return undefined;
        behind = await Promise.all(o.sinks.map(([connector, topic]) => sinkBehind(o.kafka, o.warehouse, connector, topic)));
        return behind.every((n) => n === 0) ? { shop, warehouse } : undefined;
      },
      o.timeoutMs,
    );
  } catch (err) {
    const lag = o.sinks.map(([connector], i) => `${connector}: ${behind[i] ?? '?'} records behind`).join(', ');
    const traced =
      o.traceTopics && missing.length > 0
        ? await traceKeys(o.kafka, o.traceTopics, missing.slice(0, MAX_DIFFS)).then(
            (lines) => ['where the missing orders are in Kafka:', ...lines],
            (traceErr: unknown) => [`could not trace the missing orders: ${String(traceErr)}`],
          )
        : [];
    throw new Error([(err as Error).message, lag, ...diffs, ...traced].join('\n'), { cause: err });
  }
}

/**
 * Waits until the dead-letter topic holds a dead letter with its rule for every broken order of
 * the shop, and none for a valid one; on timeout the error lists what is wrong.
 */
export async function waitDeadLettersRight(
  o: { kafka: Kafka; registry: SchemaRegistry; db: Db; topic: string },
  what = 'every broken order in the dead-letter topic, and only those',
  timeoutMs = 60_000,
): Promise<void> {
  let problems: string[] = [];
  await waitFor(
    what,
    async () => {
      problems = checkDeadLetters(await readShop(o.db), await readDeadLetters(o.kafka, o.registry, o.topic)).problems;
      return problems.length === 0 ? true : undefined;
    },
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${problems.join('\n')}`, { cause: err });
  });
}
