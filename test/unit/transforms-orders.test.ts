import t from 'tap';
import {
  ConfigError,
  DataError,
  EVENT_TIME_HEADER,
  READ_TIME_HEADER,
  NotYetError,
  compareEventTime,
  documentKey,
  formatEventTime,
  noopMetrics,
  silentLogger,
  type EventTime,
  type LookupTable,
  type SinkRecord,
  type TransformContext,
} from '../../runtime/api/index.js';
import type { OrderChange } from '../../connectors/postgres-sink/records.js';
import { EnrichCustomer } from '../../transforms/enrich-customer.js';
import { ParseCustomer } from '../../transforms/parse-customer.js';
import { ParseOrder } from '../../transforms/parse-order.js';
import { OrderValidationError, RULES, ValidateOrder } from '../../transforms/validate-order.js';
import { customer, envelope, order, type OrderDoc } from '../fixtures/shop.js';

function sinkRecord(value: unknown, key: unknown = 'o1'): SinkRecord {
  return Object.freeze({ topic: 'orders-cdc', kafkaPartition: 0, kafkaOffset: '7', key, value, headers: {}, timestamp: 1 });
}

const noTables: TransformContext = { logger: silentLogger, metrics: noopMetrics, tables: { open: () => Promise.reject(new Error('no tables')) } };
const parse = ParseOrder.create({}, noTables) as { apply(r: SinkRecord): SinkRecord };
const parsed = (doc: OrderDoc | null, op: 'c' | 'u' | 'd' | 'r' = 'c', before: OrderDoc | null = null) =>
  parse.apply(sinkRecord(envelope(op, 'orders', doc, 5000, before), doc?._id ?? before?._id ?? 'o1'));

t.test('ParseOrder turns a typed envelope into a warehouse order with items', async (t) => {
  const input = sinkRecord(envelope('u', 'orders', order('o1'), 5000));
  const out = parse.apply(input);
  t.same(out.value, {
    kind: 'order',
    op: 'upsert',
    id: 'o1',
    source_ts_ms: 5000,
    source_seq: 0,
    order: {
      order_id: 'o1',
      customer_id: 'c-1',
      customer_name: null,
      customer_email: null,
      customer_segment: null,
      status: 'paid',
      currency: 'EUR',
      total: '32.75',
      item_count: 2,
      created_at: order('o1').created_at,
      updated_at: order('o1').updated_at,
    },
    items: order('o1').items,
  });
  t.equal(out.kafkaOffset, '7', 'the Kafka position stays attached');
  t.equal(out.valueSchema, undefined, 'the output is schemaless');
  t.not(out, input, 'the input is not mutated');
  t.equal((input.value as { op: string }).op, 'u');
});

t.test('ParseOrder and ParseCustomer drop a tombstone (the delete before it was the change)', async (t) => {
  const tombstone = sinkRecord(null, 'o1');
  t.equal(parse.apply(tombstone), null, 'ParseOrder');
  const parseCustomer = ParseCustomer.create({}, noTables) as { apply(r: SinkRecord): SinkRecord | null };
  t.equal(parseCustomer.apply({ ...tombstone, topic: 'customers-cdc' }), null, 'ParseCustomer');
});

t.test('ParseOrder and ParseCustomer drop an update whose document was deleted before the lookup; a create without one is still an error', async (t) => {
  t.equal(parse.apply(sinkRecord(envelope('u', 'orders', null, 7000), 'o5')), null, 'ParseOrder');
  const parseCustomer = ParseCustomer.create({}, noTables) as { apply(r: SinkRecord): SinkRecord | null };
  t.equal(parseCustomer.apply({ ...sinkRecord(envelope('u', 'customers', null, 7000), 'c-5'), topic: 'customers-cdc' }), null, 'ParseCustomer');
  t.throws(() => parse.apply(sinkRecord(envelope('c', 'orders', null, 1))), /no after document/);
  t.throws(() => parseCustomer.apply(sinkRecord(envelope('r', 'customers', null, 1))), /no after document/);
});

t.test('ParseOrder reads the schemaless Extended JSON form', async (t) => {
  const ejson = JSON.stringify({
    _id: { $oid: '65a1b2c3d4e5f60718293a4b' },
    customer_id: 'c-9',
    status: 'shipped',
    currency: 'USD',
    items: [{ line: { $numberInt: '1' }, sku: 'A', name: 'a', quantity: { $numberInt: '3' }, unit_price: { $numberDecimal: '0.10' } }],
    total: { $numberDecimal: '0.30' },
    created_at: { $date: { $numberLong: '1768471200000' } },
    updated_at: { $date: { $numberLong: '1768471200001' } },
  });
  const out = parse.apply(sinkRecord({ ...envelope('c', 'orders', ejson, 9000) }, null)).value as OrderChange & { op: 'upsert' };
  t.equal(out.id, '65a1b2c3d4e5f60718293a4b', 'without a key, the ObjectId _id becomes its hex string');
  t.match(out.order, { customer_id: 'c-9', total: '0.30', created_at: 1768471200000, updated_at: 1768471200001, item_count: 1 });
  t.same(out.items, [{ line: 1, sku: 'A', name: 'a', quantity: 3, unit_price: '0.10' }], 'Decimal128 stays an exact string');
  t.throws(() => parse.apply(sinkRecord(envelope('c', 'orders', '{not json', 1))), DataError);
});

t.test('ParseOrder and ParseCustomer: ids in the one encoding of record keys, whatever their BSON type', async (t) => {
  const doc = (id: unknown, customer: unknown) =>
    JSON.stringify({ _id: id, customer_id: customer, status: 'paid', currency: 'EUR', items: [], total: { $numberDecimal: '1' } });
  const cases: Array<[unknown, string]> = [
    [{ $numberInt: '7' }, '{"$numberInt":"7"}'],
    [{ $numberLong: '8' }, '{"$numberLong":"8"}'],
    [{ $date: { $numberLong: '1767225600000' } }, '{"$date":{"$numberLong":"1767225600000"}}'],
    [{ $oid: '65a1b2c3d4e5f60718293a4b' }, '65a1b2c3d4e5f60718293a4b'],
    ['65a1b2c3d4e5f60718293a4b', '"65a1b2c3d4e5f60718293a4b"'],
    ['c-1', 'c-1'],
  ];
  for (const [id, key] of cases) {
    t.equal(documentKey(id), key, `documentKey(${JSON.stringify(id)})`);
    const upsert = parse.apply(sinkRecord(envelope('c', 'orders', doc(id, id), 1000), null)).value as OrderChange & { op: 'upsert' };
    t.equal(upsert.id, key, 'the upsert names the row as the key would');
    t.equal(upsert.order.customer_id, key, 'the customer reference is encoded as the customer key is');
    const deleted = parse.apply(sinkRecord(envelope('d', 'orders', null, 2000), key)).value as OrderChange;
    t.equal(deleted.id, key, 'and the delete, which has only the key, names the same row');
  }
  t.not(documentKey({ $oid: '65a1b2c3d4e5f60718293a4b' }), documentKey('65a1b2c3d4e5f60718293a4b'), 'a string equal to an ObjectId hex is another id');
  t.equal(new Set(['true', true, 'null', null, '{"a":1}', { a: 1 }].map(documentKey)).size, 6, 'strings that spell other encodings are quoted');
  t.equal(documentKey(''), '""', 'an empty string _id (legal in MongoDB) is quoted: a key is never empty');
});

t.test('ParseOrder: op d is a delete by the before id or the key; c and r are upserts', async (t) => {
  t.same(parsed(null, 'd', order('o2')).value, { kind: 'order', op: 'delete', id: 'o2', source_ts_ms: 5000, source_seq: 0 });
  t.same(parse.apply(sinkRecord(envelope('d', 'orders', null, 6000), 'o3')).value, {
    kind: 'order',
    op: 'delete',
    id: 'o3',
    source_ts_ms: 6000,
    source_seq: 0,
  });
  t.match(parsed(order('o4'), 'r').value, { op: 'upsert', id: 'o4' });
  t.throws(() => parse.apply(sinkRecord({ op: 'x', source: { cluster_time_ms: 1 } })), DataError, 'unknown op');
  t.throws(() => parse.apply(sinkRecord('text')), DataError, 'not an envelope');
  t.throws(() => parse.apply(sinkRecord(envelope('c', 'orders', null, 1))), /no after document/);
});

t.test('ParseCustomer turns customer envelopes into dim_customers rows', async (t) => {
  const p = ParseCustomer.create({}, noTables) as { apply(r: SinkRecord): SinkRecord };
  t.same(p.apply(sinkRecord(envelope('c', 'customers', customer('c-1'), 10), 'c-1')).value, {
    kind: 'customer',
    op: 'upsert',
    id: 'c-1',
    source_ts_ms: 10,
    source_seq: 0,
    customer: {
      customer_id: 'c-1',
      name: 'Customer c-1',
      email: 'c-1@example.com',
      segment: 'consumer',
      city: 'Lyon',
      country: 'FR',
      created_at: customer('c-1').created_at,
      updated_at: customer('c-1').updated_at,
    },
  });
  t.same(p.apply(sinkRecord(envelope('d', 'customers', null, 11), 'c-1')).value, {
    kind: 'customer',
    op: 'delete',
    id: 'c-1',
    source_ts_ms: 11,
    source_seq: 0,
  });
  t.throws(() => p.apply(sinkRecord(envelope('c', 'customers', { _id: 'c-2' }, 1))), /has no name/);
});

interface FakeTable extends LookupTable {
  eventTime: EventTime | undefined;
  currentAt: number;
  progressAt: number;
  /** Moves the event time and wakes whoever waits for it. */
  advance(time: EventTime): void;
  /** Event times of the entries' latest records. */
  times: Map<string, EventTime>;
}

function fakeTable(entries: Record<string, unknown>): FakeTable {
  const map = new Map(Object.entries(entries));
  const waiters: Array<{ time: EventTime; resolve: () => void }> = [];
  const table: FakeTable = {
    topic: 'customers-cdc',
    get: (k) => map.get(k) ?? entries[k],
    get size() {
      return map.size;
    },
    currentAt: Date.now(),
    progressAt: Date.now(),
    eventTime: undefined,
    times: new Map(),
    timeOf: (k) => table.times.get(k),
    whenEventTime: (time) =>
      table.eventTime && compareEventTime(table.eventTime, time) >= 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ time, resolve })),
    advance(time) {
      table.eventTime = time;
      for (const w of waiters.splice(0))
        if (compareEventTime(time, w.time) >= 0) w.resolve();
        else waiters.push(w);
    },
  };
  return table;
}

async function enrich(policy: 'wait' | 'deadletter' | 'null', table: LookupTable, timeout = 30000) {
  const opened: string[] = [];
  const ctx: TransformContext = {
    logger: silentLogger,
    metrics: noopMetrics,
    tables: { open: async (topic) => (opened.push(topic), table) },
  };
  const transform = await EnrichCustomer.create(
    { 'enrich.topic': 'customers-cdc', 'enrich.missing.policy': policy, 'enrich.missing.timeout.ms': timeout },
    ctx,
  );
  return { transform: transform as { apply(r: SinkRecord): SinkRecord }, opened };
}

/** An order change at event time (ms, seq), as the source dates it in its header. */
const at = (record: SinkRecord, time: EventTime): SinkRecord => Object.freeze({ ...record, headers: { [EVENT_TIME_HEADER]: formatEventTime(time) } });

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
};

t.test('EnrichCustomer adds the customer fields from the lookup table', async (t) => {
  const table = fakeTable({
    'c-1': envelope('r', 'customers', customer('c-1', { name: 'Ada', email: 'ada@example.com', segment: 'vip' }), 1),
    'c-2': JSON.parse(JSON.stringify(envelope('c', 'customers', '{"_id":"c-2","name":"Bob","segment":"consumer","email":null}', 1))),
  });
  const { transform, opened } = await enrich('deadletter', table);
  t.same(opened, ['customers-cdc'], 'the table is opened when the transform is created');
  t.match(transform.apply(parsed(order('o1'))).value, { order: { customer_name: 'Ada', customer_email: 'ada@example.com', customer_segment: 'vip' } });
  t.match(transform.apply(parsed(order('o2', { customer_id: 'c-2' }))).value, {
    order: { customer_name: 'Bob', customer_email: null, customer_segment: 'consumer' },
  });
  const del = parsed(null, 'd', order('o3'));
  t.equal(transform.apply(del), del, 'deletes pass unchanged');
});

t.test('EnrichCustomer miss policy null: the order passes with null customer fields', async (t) => {
  const { transform } = await enrich('null', fakeTable({}));
  const input = parsed(order('o1'));
  t.equal(transform.apply(input), input);
  t.match(input.value, { order: { customer_name: null } });
});

t.test('EnrichCustomer miss policy deadletter: unknown-customer at once; a deleted customer is a miss', async (t) => {
  const { transform } = await enrich('deadletter', fakeTable({ 'c-1': envelope('d', 'customers', null, 2, customer('c-1')) }));
  t.throws(() => transform.apply(parsed(order('o1'))), new DataError('unknown-customer: customer "c-1" of order o1 is not in customers-cdc'));
});

t.test('EnrichCustomer wait: decided by event time: parked while the table is behind the order, rejected once it has passed it', async (t) => {
  const table = fakeTable({});
  table.advance({ ms: 10_000, seq: 4 });
  const { transform } = await enrich('wait', table);
  const record = at(parsed(order('o1')), { ms: 10_000, seq: 7 });
  const notYet = thrown(() => transform.apply(record)) as NotYetError;
  t.ok(notYet instanceof NotYetError, 'the table is behind the order: not yet decided, not rejected');
  t.match(notYet.message, /not in customers-cdc yet: the table is at 10000\.4, the order at 10000\.7/);
  let woken = false;
  void notYet.wake!.then(() => (woken = true));
  table.advance({ ms: 10_000, seq: 6 });
  await Promise.resolve();
  t.notOk(woken, 'not woken before the table reaches the order');
  table.advance({ ms: 10_000, seq: 7 });
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(woken, "woken once the table's event time reaches the order's");
  const rejected = thrown(() => transform.apply(record));
  t.ok(rejected instanceof DataError && !(rejected instanceof NotYetError), 'the customer did not exist at the order time: rejected');
  t.match((rejected as Error).message, /^unknown-customer: customer "c-1" of order o1 did not exist at the order's time/);

  const early = at(parsed(order('o2', { customer_id: 'c-9' })), { ms: 20_000, seq: 1 });
  t.ok(thrown(() => transform.apply(early)) instanceof NotYetError);
  (table as unknown as { get: (k: string) => unknown }).get = (k: string) => (k === 'c-9' ? envelope('c', 'customers', customer('c-9'), 20) : undefined);
  t.match(transform.apply(early).value, { order: { customer_name: 'Customer c-9' } }, 'a customer written just before its order, read late, is found');
});

t.test('EnrichCustomer: a customer the table holds as created after the order is unknown at the order time', async (t) => {
  const table = fakeTable({ 'c-1': envelope('c', 'customers', customer('c-1'), 30_000), 'c-2': envelope('u', 'customers', customer('c-2'), 30_000) });
  table.times.set('c-1', { ms: 30_000, seq: 2 });
  table.times.set('c-2', { ms: 30_000, seq: 2 });
  table.advance({ ms: 31_000, seq: 0 });
  for (const policy of ['wait', 'deadletter'] as const) {
    const { transform } = await enrich(policy, table);
    const before = at(parsed(order('o1')), { ms: 30_000, seq: 1 });
    t.match((thrown(() => transform.apply(before)) as Error).message, /^unknown-customer: customer "c-1" of order o1 was created after the order/, policy);
    t.match(
      transform.apply(at(parsed(order('o2')), { ms: 30_000, seq: 3 })).value,
      { order: { customer_name: 'Customer c-1' } },
      'an order after the creation is enriched',
    );
    t.match(
      transform.apply(at(parsed(order('o3', { customer_id: 'c-2' })), { ms: 30_000, seq: 1 })).value,
      { order: { customer_name: 'Customer c-2' } },
      'a customer whose latest change is an update existed before it',
    );
  }
});

t.test('EnrichCustomer: a copied order is taken as of its read time, not the snapshot start it is dated with', async (t) => {
  // The copy started at 10 s; the customer was created at 12 s and its order copied at 15 s.
  const copied = (id: string, readMs: number): SinkRecord =>
    Object.freeze({
      ...parsed(order(id)),
      headers: { [EVENT_TIME_HEADER]: formatEventTime({ ms: 10_000, seq: 1 }), [READ_TIME_HEADER]: formatEventTime({ ms: readMs, seq: 0 }) },
    });
  const table = fakeTable({ 'c-1': envelope('c', 'customers', customer('c-1'), 12_000) });
  table.times.set('c-1', { ms: 12_000, seq: 1 });
  table.advance({ ms: 16_000, seq: 0 });
  const { transform } = await enrich('wait', table);
  t.match(transform.apply(copied('o1', 15_000)).value, { order: { customer_name: 'Customer c-1' } }, 'enriched: the customer existed when the order was read');
  t.match(
    (thrown(() => transform.apply(at(parsed(order('o2')), { ms: 10_000, seq: 1 }))) as Error).message,
    /^unknown-customer: customer "c-1" of order o2 was created after the order/,
    'a change event of that time is still rejected',
  );
  const missing = fakeTable({});
  missing.advance({ ms: 14_000, seq: 0 });
  const waiting = (await enrich('wait', missing)).transform;
  t.ok(thrown(() => waiting.apply(copied('o3', 15_000))) instanceof NotYetError, 'a missing customer is waited for until the table reaches the read time');
  missing.advance({ ms: 15_000, seq: 0 });
  t.match((thrown(() => waiting.apply(copied('o3', 15_000))) as Error).message, /^unknown-customer: .* did not exist at the order's time/, 'and rejected then');
});

t.test('EnrichCustomer wait: a customers stream that stood still for the timeout (in read time) rejects; a broker outage does not count', async (t) => {
  const table = fakeTable({});
  table.advance({ ms: 1_000, seq: 0 });
  const { transform } = await enrich('wait', table, 5_000);
  const record = at(parsed(order('o1')), { ms: 2_000, seq: 0 });
  table.progressAt = 100_000;
  table.currentAt = 104_000;
  const waiting = thrown(() => transform.apply(record)) as NotYetError;
  t.ok(waiting instanceof NotYetError, '4 s without anything read: still waiting');
  t.ok(waiting.retryAfterMs! >= 250 && waiting.retryAfterMs! <= 1_000, `retried by the time the bound is reached (${waiting.retryAfterMs} ms)`);
  table.currentAt = 105_000;
  const rejected = thrown(() => transform.apply(record));
  t.ok(rejected instanceof DataError && !(rejected instanceof NotYetError));
  t.match((rejected as Error).message, /^unknown-customer: .*has written nothing for 5000 ms of read time .*is it running\?/);
});

t.test('EnrichCustomer wait without watermarks: the miss waits the timeout in read time, parked, not retried in place', async (t) => {
  const table = fakeTable({});
  table.currentAt = 50_000;
  const { transform } = await enrich('wait', table, 1_000);
  const record = parsed(order('o1', { customer_id: 'c-404' }));
  t.ok(thrown(() => transform.apply(record)) instanceof NotYetError, 'the first miss waits');
  table.currentAt = 50_500;
  t.ok(thrown(() => transform.apply(record)) instanceof NotYetError, 'within the timeout');
  table.currentAt = 51_000;
  t.match((thrown(() => transform.apply(record)) as Error).message, /^unknown-customer: .*after waiting 1000 ms of read time \(the topic has no watermarks\)/);
  const again = thrown(() => transform.apply(parsed(order('o10', { customer_id: 'c-404' }))));
  t.ok(again instanceof DataError && !(again instanceof NotYetError), 'another order of a customer already waited for is rejected without a second wait');
});

const validate = ValidateOrder.create(
  { 'validate.statuses': 'pending,paid,shipped,delivered,cancelled', 'validate.min.time': '2000-01-01T00:00:00Z', 'validate.max.future.ms': 300000 },
  noTables,
) as { apply(r: SinkRecord): SinkRecord };

function ruleOf(doc: OrderDoc): string | undefined {
  try {
    validate.apply(parsed(doc));
    return undefined;
  } catch (err) {
    t.ok(err instanceof OrderValidationError && err instanceof DataError, 'a validation failure is a DataError');
    t.match((err as Error).message, new RegExp(`^${(err as OrderValidationError).rule}: `), 'the message starts with the rule');
    return (err as OrderValidationError).rule;
  }
}

t.test('ValidateOrder passes a valid order and deletes', async (t) => {
  const ok = parsed(order('o1'));
  t.equal(validate.apply(ok), ok);
  const del = parsed(null, 'd', order('o1'));
  t.equal(validate.apply(del), del);
});

t.test('ValidateOrder names each broken rule', async (t) => {
  const base = order('o1');
  const cases: Array<[string, OrderDoc]> = [
    ['required-fields', { ...base, customer_id: null as unknown as string }],
    ['required-fields', { ...base, items: [] }],
    ['required-fields', { ...base, items: [{ ...base.items[0]!, sku: null as unknown as string }] }],
    ['unique-lines', { ...base, items: [base.items[0]!, { ...base.items[1]!, line: 1 }] }],
    ['quantity-positive', { ...base, items: [{ ...base.items[0]!, quantity: 0 }], total: '0.00' }],
    ['quantity-positive', { ...base, items: [{ ...base.items[0]!, quantity: -2 }], total: '-20.50' }],
    ['unit-price-non-negative', { ...base, items: [{ ...base.items[0]!, unit_price: '-1.00' }], total: '-1.00' }],
    ['unit-price-non-negative', { ...base, items: [{ ...base.items[0]!, unit_price: 'ten' }] }],
    ['total-matches-lines', { ...base, total: '32.77' }],
    ['total-matches-lines', { ...base, total: '1e3' }],
    ['currency-iso4217', { ...base, currency: 'EURO' }],
    ['currency-iso4217', { ...base, currency: 'eur' }],
    ['known-status', { ...base, status: 'lost' }],
    ['sane-timestamps', { ...base, created_at: Date.UTC(1999, 11, 31) }],
    ['sane-timestamps', { ...base, updated_at: base.created_at - 1 }],
    ['sane-timestamps', { ...base, updated_at: Date.now() + 3_600_000 }],
  ];
  for (const [rule, doc] of cases) t.equal(ruleOf(doc), rule, `${rule}: ${JSON.stringify(doc).slice(0, 80)}`);
  t.same(new Set(cases.map(([r]) => r)), new Set(RULES), 'every rule is exercised');
});

t.test('ValidateOrder: the total may differ from the lines by at most a cent, at any scale', async (t) => {
  const base = order('o1');
  t.equal(ruleOf({ ...base, total: '32.76' }), undefined);
  t.equal(ruleOf({ ...base, total: '32.74' }), undefined);
  t.equal(ruleOf({ ...base, items: [{ ...base.items[0]!, quantity: 3, unit_price: '0.333' }], total: '1.00' }), undefined);
  t.equal(ruleOf({ ...base, items: [{ ...base.items[0]!, quantity: 3, unit_price: '0.333' }], total: '1.02' }), 'total-matches-lines');
});

t.test('ValidateOrder refuses a bad config', async (t) => {
  t.throws(
    () => ValidateOrder.create({ 'validate.statuses': ' , ', 'validate.min.time': '2000-01-01T00:00:00Z', 'validate.max.future.ms': 0 }, noTables),
    ConfigError,
  );
  t.throws(() => ValidateOrder.create({ 'validate.statuses': 'paid', 'validate.min.time': 'yesterday', 'validate.max.future.ms': 0 }, noTables), ConfigError);
});
