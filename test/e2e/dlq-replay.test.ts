/**
 * Dead letters you can act on: orders rejected for an unknown customer whose customer is created
 * afterwards land in the warehouse once `conflux dlq replay` reads them again from MongoDB (an
 * incremental snapshot of their ids), enriched with the new customer; the replayed records carry
 * the snapshot's id; replaying again doubles nothing; `dlq show` decodes the Avro values.
 */
import { Faker, base, en } from '@faker-js/faker';
import { ObjectId } from 'mongodb';
import t from 'tap';
import { dlq } from '../../cli/commands/dlq.js';
import { WorkerClient } from '../../cli/http-client.js';
import { customer, order } from '../../generator/shop-documents.js';
import { SNAPSHOT_ID_HEADER } from '../../runtime/api/index.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { readToEnd } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';

t.setTimeout(5 * 60_000);

const f = new Faker({ locale: [en, base] });
f.seed(7);

t.test('dlq replay lands orders whose customer was created after their rejection', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'replay' });
  const { names } = env;
  const known = Array.from({ length: 10 }, () => customer(f, new Date()));
  await env.db.collection('customers').insertMany(known);
  await env.worker.start();

  const ghostId = new ObjectId();
  const ghosts = Array.from({ length: 5 }, () => order(f, ghostId, new Date()));
  await env.db.collection('orders').insertMany(ghosts);
  const valid = order(f, known[0]!._id, new Date());
  await env.db.collection('orders').insertOne(valid);
  const ghostIds = ghosts.map((o) => o._id.toHexString());

  const client = new WorkerClient(env.worker.url, undefined);
  const lines: string[] = [];
  const out = (line: string) => lines.push(line);
  interface Letters {
    groups: Array<{ rule: string; count: number }>;
    records: Array<{ keyText?: string }>;
  }
  const rejected = async () => (await env.worker.rest<Letters>('GET', `/connectors/${names.ordersSink}/dead-letters?rule=unknown-customer&limit=1000`)).body;
  // An order inserted while the first copy runs is copied and streamed: rejected once for each.
  const before = await waitFor(
    'the five orders dead-lettered as unknown-customer',
    async () => {
      const letters = await rejected();
      const keys = new Set(letters.records.map((r) => r.keyText));
      return ghostIds.every((id) => keys.has(id)) && keys.size === ghostIds.length ? letters : undefined;
    },
    60_000,
  );
  lines.length = 0;
  await dlq(client, 'show', { connector: names.ordersSink, rule: 'unknown-customer', limit: 5, json: false }, out);
  const shown = lines.join('\n');
  t.match(shown, /value: \{"op":"[cr]".*"customer_id":"[0-9a-f]{24}"/, 'dlq show decodes the Avro value');
  t.match(shown, /conflux\.error\.message: unknown-customer: /, 'with its conflux.error.* headers');
  const rowsOf = async () =>
    (
      await env.warehouse.query<{ order_id: string; customer_name: string | null }>(
        'SELECT order_id, customer_name FROM fact_orders WHERE order_id = ANY($1)',
        [ghostIds],
      )
    ).rows;
  t.same(await rowsOf(), [], 'none of them in the warehouse');

  // The customer exists now: a replay reads the orders again and they pass the join.
  const late = { ...customer(f, new Date()), _id: ghostId };
  await env.db.collection('customers').insertOne(late);
  lines.length = 0;
  t.equal(await dlq(client, 'replay', { connector: names.ordersSink, rule: 'unknown-customer', limit: 20, json: false }, out), 0, 'dlq replay exits 0');
  const said = lines[0] ?? '';
  t.match(
    said,
    new RegExp(`^5 keys of ${names.ordersTopic.replace(/\./g, '\\.')}: read again from ${names.source} \\(orders\\), snapshot [0-9a-f]{24}$`),
    said,
  );
  const landed = await waitFor('the five orders in the warehouse', async () => {
    const rows = await rowsOf();
    return rows.length === 5 ? rows : undefined;
  });
  t.ok(
    landed.every((r) => r.customer_name === late.name),
    'enriched with the customer created since',
  );

  const marked = new Set<string>();
  await readToEnd(env.kafka, names.ordersTopic, (_p, m) => {
    if (m.headers?.[SNAPSHOT_ID_HEADER] && ghostIds.includes(m.key?.toString() ?? '')) marked.add(m.key!.toString());
  });
  t.equal(marked.size, 5, 'the replayed records carry conflux.snapshot.id');

  // Again: the same rows, no more, and no new dead letter.
  lines.length = 0;
  await dlq(client, 'replay', { connector: names.ordersSink, rule: 'unknown-customer', limit: 20, json: false }, out);
  const id = /snapshot ([0-9a-f]{24})$/.exec(lines[0] ?? '')?.[1];
  await waitFor('the second replay done', async () => {
    const s = await env.worker.rest<{ state: string }>('GET', `/connectors/${names.source}/snapshots/${id}`);
    return s.body.state === 'done' ? true : undefined;
  });
  await waitFor('the sink caught up', async () => ((await env.worker.gauge('conflux_sink_consumer_lag_records', names.ordersSink)) === 0 ? true : undefined));
  const { rows } = await env.warehouse.query<{ n: string; items: string }>(
    'SELECT count(*)::text AS n, (SELECT count(*) FROM fact_order_items WHERE order_id = ANY($1))::text AS items FROM fact_orders WHERE order_id = ANY($1)',
    [ghostIds],
  );
  t.same(rows[0], { n: '5', items: String(ghosts.reduce((n, o) => n + o.items.length, 0)) }, 'replayed twice: still one row per order, its items once');
  lines.length = 0;
  await dlq(client, 'list', { connector: names.ordersSink, limit: 20, json: false }, out);
  t.match(lines.join('\n'), new RegExp(`unknown-customer\\s+transform:enrich\\s+${before.records.length}\\b`), 'dlq list counts them by rule');
  t.equal((await rejected()).records.length, before.records.length, 'no new dead letter: the replays passed');
  const nothing = await env.worker.rest('POST', `/connectors/${names.ordersSink}/dead-letters/replay`, { rule: 'no-such-rule' });
  t.equal(nothing.status, 400, 'nothing to replay is a 400');
});
