import Type, { type Static } from 'typebox';
import { Secret } from '../../runtime/api/index.js';
import { IDENTIFIER_PATTERN } from './identifiers.js';

const identifier = (description: string, fallback: string) =>
  Type.String({
    description: `${description} A plain identifier: letters, digits and underscores, at most 63 characters.`,
    default: fallback,
    pattern: IDENTIFIER_PATTERN,
  });

export const PostgresSinkConfig = Type.Object({
  'connection.url': Type.Optional(
    Secret(
      Type.String({
        description: 'PostgreSQL connection string (postgres://user:password@host:port/db). Takes precedence over connection.host/port/database/user.',
        examples: ['${env:DATABASE_URL}'],
      }),
    ),
  ),
  'connection.host': Type.String({ description: 'PostgreSQL host, when connection.url is not given.', default: 'localhost' }),
  'connection.port': Type.Integer({ description: 'PostgreSQL port.', default: 5432, minimum: 1, maximum: 65535 }),
  'connection.database': Type.String({ description: 'Database name.', default: 'postgres' }),
  'connection.user': Type.String({ description: 'Database user.', default: 'postgres' }),
  'connection.password': Type.Optional(Secret(Type.String({ description: 'Password of connection.user.', examples: ['${env:WAREHOUSE_PASSWORD}'] }))),
  'warehouse.schema': identifier('Schema of the warehouse tables and of conflux_sink_offsets (created by auto.migrate).', 'public'),
  'table.orders': identifier('Table for order records (ParseOrder).', 'fact_orders'),
  'table.items': identifier('Table for the items of order records; they are replaced with every newer version of the order.', 'fact_order_items'),
  'table.customers': identifier('Table for customer records (ParseCustomer).', 'dim_customers'),
  'batch.max.records': Type.Integer({
    description:
      'Records gathered into one flush (one COPY, merge and transaction): the runtime stages fetched records until this many are staged or batch.linger.ms has passed, and stages no more than this while a flush runs.',
    default: 50000,
    minimum: 1,
  }),
  'flush.connections': Type.Integer({
    description:
      "Connections one flush writes over in parallel. The partitions of a flush are shared out among them; each connection writes its share and those partitions' offsets in one transaction, so every partition stays exactly once.",
    default: 2,
    minimum: 1,
    maximum: 16,
  }),
  'batch.linger.ms': Type.Integer({
    description:
      'Longest time a fetched record waits to be flushed while fewer than batch.max.records are staged. 0 flushes as soon as the previous flush is done; records fetched meanwhile form the next one.',
    default: 0,
    minimum: 0,
  }),
  'insert.mode': Type.Union([Type.Literal('upsert'), Type.Literal('insert')], {
    description: '`upsert`: a change replaces the row when its source position is newer. `insert`: append only, a key already present is kept.',
    default: 'upsert',
  }),
  'delete.enabled': Type.Boolean({ description: 'Apply deletes (op d). When false, deletes are skipped and the rows stay.', default: true }),
  'auto.migrate': Type.Boolean({ description: 'Apply pending warehouse migrations (sql/) to warehouse.schema when a task starts.', default: false }),
});

export type PostgresSinkConfig = Static<typeof PostgresSinkConfig>;
