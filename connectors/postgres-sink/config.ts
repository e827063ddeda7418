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
  'delete.enabled': Type.Boolean({
    description:
      'Apply deletes (op d). When false, deletes are ignored as if they never happened: the row stays with the last version written before the delete, whether the changes come in one flush or in several.',
    default: true,
  }),
  'rejected.version.policy': Type.Union([Type.Literal('delete'), Type.Literal('keep')], {
    description:
      "What a rejected version of a document (dead-lettered by a transform or the converter, or refused by PostgreSQL) does to the row its older version left: `delete` removes the row (the warehouse holds only versions that pass, and an older version replayed later cannot bring it back); `keep` leaves the row and marks it (rejected_at, rejected_rule, at the rejected version's position) until a newer valid version replaces it. Applied in the same transaction as the offsets.",
    default: 'delete',
  }),
  'snapshot.sweep.topics': Type.String({
    description:
      "Topics whose completed source snapshots delete the rows their collection no longer has, as `<topic>:<order|customer>` pairs. A source that finishes copying a collection (a first snapshot, token.lost.policy=resnapshot, or the copy after the collection was dropped, renamed or replaced with $out) writes a marker to every partition of its topic; once this connector has read it on all of them, every row of that kind whose source position is still older than the snapshot's start (neither copied nor changed since) is deleted, in the same transaction as the offsets, so the warehouse converges to the collection. Empty: no sweeps. Rows the sink wrote for another topic of the same kind are swept too: give each kind one source topic.",
    default: '',
    examples: ['orders-cdc:order,customers-cdc:customer'],
  }),
  'reprocess.epoch': Type.Integer({
    description:
      "Raise it to write records again that the warehouse already holds (after fixing a transform): a change is applied when its source position is newer than the row's, or equal in a higher epoch. Stop the connector, raise the epoch, move its offsets back (PATCH /connectors/{name}/offsets) and resume: rows are rewritten from the replayed records, and an older change still never overwrites a newer one.",
    default: 0,
    minimum: 0,
  }),
  'tombstones.retention.ms': Type.Integer({
    description:
      "How long a delete's position is kept (conflux_sink_tombstones) so that an older change arriving later cannot bring the row back: longer than any replay can reach back (the source's replays after a crash come within its offset.flush.interval.ms; a rewind of the offsets can reach further). Older entries are removed every 10 minutes.",
    default: 604800000,
    minimum: 60000,
  }),
  'offsets.initial': Type.Union([Type.Literal('earliest'), Type.Literal('group')], {
    description:
      "Where a partition starts that has no position in the warehouse (conflux_sink_offsets): `earliest` reads it from its first record, so a new or restored warehouse gets every change the topic still holds; `group` continues from the consumer group's committed offset (a migration from a sink that kept its offsets only in the group).",
    default: 'earliest',
  }),
  'auto.migrate': Type.Boolean({ description: 'Apply pending warehouse migrations (sql/) to warehouse.schema when a task starts.', default: false }),
});

export type PostgresSinkConfig = Static<typeof PostgresSinkConfig>;
