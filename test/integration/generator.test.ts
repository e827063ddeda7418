/** conflux generate: seeded shop data in MongoDB that fits the schemas of record, reproducible by seed. */
import t from 'tap';
import avro from 'avsc';
import type { Db, Document } from 'mongodb';
import { avroValue } from '../../connectors/mongodb-source/bson.js';
import { runGenerate, type GenerateArgs } from '../../cli/commands/generate.js';
import { main } from '../../cli/main.js';
import { CURRENCIES, totalOf, type OrderItem } from '../../generator/shop-documents.js';
import { shopSchema } from '../fixtures/shop.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { services } from '../helpers/services.js';

const args = (db: Db, extra: Partial<GenerateArgs> = {}): GenerateArgs => ({
  uri: services().mongoUri,
  db: db.databaseName,
  seedCustomers: 10,
  seedOrders: 30,
  rate: 0,
  count: 200,
  durationS: undefined,
  invalidRatio: 0,
  seed: 7,
  ...extra,
});

const withoutTimes = (docs: Document[]) => docs.map(({ created_at: _c, updated_at: _u, ...rest }) => rest);
const all = (db: Db, name: string) => db.collection(name).find().sort({ _id: 1 }).toArray();

t.test('the same seed writes the same documents; the counts say what was written', async (t) => {
  const client = await mongo(t);
  const a = freshDb(t, client);
  const b = freshDb(t, client);
  const lines: string[] = [];
  const counts = await runGenerate(args(a), (l) => lines.push(l), new AbortController().signal);
  await runGenerate(args(b), () => {}, new AbortController().signal);
  t.same(withoutTimes(await all(a, 'orders')), withoutTimes(await all(b, 'orders')), 'orders identical');
  t.same(withoutTimes(await all(a, 'customers')), withoutTimes(await all(b, 'customers')), 'customers identical');
  t.equal(counts.get('customer-seeded'), 10);
  t.equal(counts.get('order-seeded'), 30);
  const live = ['order-created', 'status-changed', 'items-edited', 'address-changed', 'customer-created', 'order-deleted'];
  t.equal(
    live.reduce((n, k) => n + (counts.get(k) ?? 0), 0),
    200,
    'live changes add up to --count',
  );
  for (const kind of live) t.ok((counts.get(kind) ?? 0) > 0, `the mix includes ${kind}`);
  t.match(lines.join('\n'), /live changes\s+200 in/);
  const customers = await a.collection('customers').countDocuments();
  t.equal(customers, 10 + (counts.get('customer-created') ?? 0));
  const statuses = new Set((await all(a, 'orders')).map((o) => o.status));
  for (const s of ['pending', 'paid', 'shipped']) t.ok(statuses.has(s), `orders move through ${s}`);
});

t.test('documents fit config/schemas/*.avsc once the source maps BSON to Avro', async (t) => {
  const client = await mongo(t);
  const db = freshDb(t, client);
  await runGenerate(args(db, { seed: 11 }), () => {}, new AbortController().signal);
  for (const name of ['orders', 'customers'] as const) {
    const type = avro.Type.forSchema(shopSchema(name) as avro.Schema);
    const docs = await all(db, name);
    const bad = docs.filter((d) => !type.isValid(avroValue(d)));
    t.equal(bad.length, 0, `every ${name} document fits (${docs.length} checked)`);
  }
});

t.test('--invalid-ratio 1: every new order breaks one validation rule', async (t) => {
  const client = await mongo(t);
  const db = freshDb(t, client);
  const counts = await runGenerate(args(db, { seedOrders: 40, count: 0, invalidRatio: 1 }), () => {}, new AbortController().signal);
  const customers = new Set((await all(db, 'customers')).map((c) => String(c._id)));
  for (const o of await all(db, 'orders')) {
    const items = o.items as OrderItem[];
    const broken =
      items.some((it) => it.quantity <= 0) ||
      totalOf(items).toString() !== o.total.toString() ||
      !(CURRENCIES as readonly string[]).includes(o.currency) ||
      !customers.has(String(o.customer_id));
    t.ok(broken, `order ${o._id} breaks a rule`);
  }
  const rules = ['negative-quantity', 'wrong-total', 'unknown-currency', 'missing-customer'];
  t.equal(
    rules.reduce((n, r) => n + (counts.get(`invalid ${r}`) ?? 0), 0),
    40,
  );
});

t.test('conflux generate on the command line: stops on --duration, bad arguments are usage errors', async (t) => {
  const client = await mongo(t);
  const db = freshDb(t, client);
  const out: string[] = [];
  const code = await main(
    ['generate', '--uri', services().mongoUri, '--db', db.databaseName, '--seed-customers', '3', '--rate', '20', '--duration', '1'],
    (l) => out.push(l),
    (l) => out.push(l),
  );
  t.equal(code, 0);
  t.match(out.join('\n'), /customer-seeded\s+3/);
  const live = Number(/live changes\s+(\d+)/.exec(out.join('\n'))?.[1]);
  t.ok(live >= 5 && live <= 25, `about 20 changes in one second at --rate 20 (${live})`);
  const err: string[] = [];
  t.equal(
    await main(
      ['generate', '--invalid-ratio', '2'],
      () => {},
      (l) => err.push(l),
    ),
    2,
  );
  t.match(err.join('\n'), /--invalid-ratio must be a number between 0 and 1/);
});

t.test('conflux generate run again continues the shop with new ids; the same --seed on its own data is one clear line', async (t) => {
  const client = await mongo(t);
  const db = freshDb(t, client);
  const base = [
    'generate',
    '--uri',
    services().mongoUri,
    '--db',
    db.databaseName,
    '--seed-customers',
    '5',
    '--seed-orders',
    '5',
    '--count',
    '5',
    '--rate',
    '0',
  ];
  for (const run of [1, 2]) {
    const out: string[] = [];
    const code = await main(
      base,
      (l) => out.push(l),
      (l) => out.push(l),
    );
    t.equal(code, 0, `run ${run} succeeds: ${out.join(' | ')}`);
    t.match(out.join('\n'), /generator seed \d+/, 'the seed it picked is printed');
  }
  t.ok((await db.collection('customers').countDocuments()) >= 10, 'the second run added customers beside the first run’s');
  const seeded = [...base, '--seed', '4242'];
  t.equal(
    await main(
      seeded,
      () => {},
      () => {},
    ),
    0,
  );
  const err: string[] = [];
  t.equal(
    await main(
      seeded,
      () => {},
      (l) => err.push(l),
    ),
    1,
    'the same seed on its own data fails',
  );
  t.match(err.join('\n'), /already in the database.*--seed/);
  t.notMatch(err.join('\n'), /\n\s+at /, 'no stack trace');
});
