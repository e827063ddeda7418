import t from 'tap';
import { loadMigrations, migrate } from '../../connectors/postgres-sink/migrate.js';
import { main } from '../../cli/main.js';
import { services } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

t.test('conflux warehouse migrate creates the warehouse once and is idempotent', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const out: string[] = [];
  // The password in --database-url is warned about on stderr; stdout says what was done.
  const warnings: string[] = [];
  const args = ['warehouse', 'migrate', '--database-url', services().databaseUrl, '--schema', schema];
  t.equal(
    await main(
      args,
      (l) => out.push(l),
      (l) => warnings.push(l),
    ),
    0,
    [...warnings, ...out].join('\n'),
  );
  t.match(warnings, [/^warning: --database-url carries a password/]);
  t.match(out, [
    'applied 0001_warehouse.sql',
    'applied 0002_sink_state.sql',
    'applied 0003_positions_and_rejections.sql',
    'applied 0004_snapshot_sweeps.sql',
    /is at version 4$/,
  ]);

  const { rows: tables } = await client.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  t.same(
    tables.map((r) => r.table_name),
    [
      'conflux_migrations',
      'conflux_sink_offsets',
      'conflux_sink_snapshot_sweeps',
      'conflux_sink_snapshots',
      'conflux_sink_tombstones',
      'dim_customers',
      'fact_order_items',
      'fact_orders',
    ],
  );
  const { rows: indexes } = await client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1', [
    schema,
    'fact_orders',
  ]);
  t.same(
    indexes.map((r) => r.indexname),
    ['fact_orders_created_at_idx', 'fact_orders_customer_id_idx', 'fact_orders_pkey', 'fact_orders_status_idx'],
  );
  const { rows: numeric } = await client.query(
    "SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'fact_orders' AND column_name = 'total'",
    [schema],
  );
  t.equal(numeric[0].data_type, 'numeric');

  out.length = 0;
  t.equal(
    await main(
      args,
      (l) => out.push(l),
      (l) => warnings.push(l),
    ),
    0,
  );
  t.same(out, [`schema ${schema} is at version 4 (nothing to do)`]);
  const { rows: recorded } = await client.query(`SELECT version, name FROM "${schema}".conflux_migrations ORDER BY version`);
  t.same(recorded, [
    { version: 1, name: '0001_warehouse.sql' },
    { version: 2, name: '0002_sink_state.sql' },
    { version: 3, name: '0003_positions_and_rejections.sql' },
    { version: 4, name: '0004_snapshot_sweeps.sql' },
  ]);
});

t.test('two migrations racing apply each migration once', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const { default: pg } = await import('pg');
  const other = new pg.Client({ connectionString: services().databaseUrl });
  await other.connect();
  t.teardown(() => other.end());
  const [a, b] = await Promise.all([migrate(client, schema), migrate(other, schema)]);
  t.same([...a.applied, ...b.applied].sort(), ['0001_warehouse.sql', '0002_sink_state.sql', '0003_positions_and_rejections.sql', '0004_snapshot_sweeps.sql']);
});

t.test('a migration edited after it was applied is refused', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const migrations = loadMigrations();
  await migrate(client, schema, migrations);
  const edited = migrations.map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
  await t.rejects(migrate(client, schema, edited), /0001_warehouse.sql was changed after it was applied/);
});

t.test('warehouse migrate refuses a schema name that is not a plain identifier', async (t) => {
  const errors: string[] = [];
  const code = await main(
    ['warehouse', 'migrate', '--database-url', services().databaseUrl, '--schema', 'x"; DROP TABLE y; --'],
    () => undefined,
    (l) => errors.push(l),
  );
  t.equal(code, 1);
  t.match(errors.join('\n'), /schema: must be a plain identifier/);
});
