import { readFile } from 'node:fs/promises';
import t from 'tap';
import { migrate } from '../../connectors/postgres-sink/migrate.js';
import { uniqueSchema } from '../helpers/warehouse.js';

t.test("the README's analyst queries run on the warehouse schema and answer from its rows", async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const queries = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split(/;\s*\n/)
      .map((q) => q.trim())
      .filter((q) => /\bSELECT\b/i.test(q)),
  );
  t.ok(queries.length >= 2, `the README shows at least two queries (${queries.length})`);
  const { schema, client } = await uniqueSchema(t, 'readme');
  await migrate(client, schema);
  await client.query(`SET search_path TO "${schema}"`);
  await client.query(
    `INSERT INTO fact_orders (order_id, customer_id, customer_segment, status, item_count, total, currency, created_at, updated_at, source_event_time, ingest_time, source_ts_ms, source_offset)
     VALUES ('o1', 'c1', 'vip', 'paid', 1, 10.50, 'EUR', now(), now() - interval '2 seconds', now(), now(), 1, 1),
            ('o2', 'c2', 'consumer', 'cancelled', 1, 99.00, 'EUR', now(), now(), now(), now(), 1, 2),
            ('o3', 'c3', 'vip', 'shipped', 2, 4.50, 'USD', now(), now(), now(), now(), 1, 3)`,
  );
  for (const query of queries) {
    const { rows } = await client.query(query);
    t.ok(rows.length > 0, `returns rows: ${query.split('\n')[0]}`);
  }
  const segments = (await client.query<{ customer_segment: string; revenue: string }>(queries[0]!)).rows;
  t.same(
    segments.map((r) => [r.customer_segment, r.revenue]),
    [['vip', '15.00']],
    'revenue by segment, cancelled orders aside',
  );
});
