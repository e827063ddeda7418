import pg from 'pg';
import type { Logger, TopicPartition, TopicPartitionOffsets } from '../../runtime/api/index.js';
import type { PostgresSinkConfig } from './config.js';
import { copyRow } from './copy-text.js';
import { recordSnapshots, type SnapshotMark, type SweepTables } from './snapshot-sweep.js';
import { quoteIdent } from './identifiers.js';
import { clientConfig } from './connection.js';
import { classifyPgError } from './pg-errors.js';
import { copyRows, mergeStaged, type MergeOptions, type MergeTable, type StagedChange } from './staged-merge.js';
import type { Positioned } from './change-buffer.js';
import type { CustomerChange, OrderChange, RejectedChange } from './records.js';

type OrderEntry = Positioned<OrderChange | RejectedChange>;
type CustomerEntry = Positioned<CustomerChange | RejectedChange>;

export interface WriteBatch {
  readonly orders: readonly OrderEntry[];
  readonly customers: readonly CustomerEntry[];
}

/** Called for a change PostgreSQL refused on its own (a data error of one row); the rest is written. */
export type RefusedChange = (entry: OrderEntry | CustomerEntry, error: Error) => Promise<void>;

/** Data exceptions (class 22) and integrity violations (23): one row's fault, not the batch's. */
const isDataFailure = (err: unknown) => /^2[23]/.test(String((err as { code?: unknown })?.code ?? ''));

/** How often a writer removes tombstones older than tombstones.retention.ms. */
const TOMBSTONE_SWEEP_MS = 10 * 60_000;
const STAGE_BUFFERS = '256MB';
/** The last columns of every staging table (see MergeTable). */
const STAGE_POSITION = 'source_ts_ms bigint, source_seq bigint, source_offset bigint, epoch integer, op char(1), rule text';

const staged = <C extends OrderChange | CustomerChange | RejectedChange>({ change, offset }: Positioned<C>): StagedChange<C> => ({
  id: change.id,
  op: change.op,
  change,
  sourceTsMs: change.source_ts_ms,
  sourceSeq: change.source_seq ?? 0,
  offset,
  ...(change.op === 'reject' ? { rule: change.rule.slice(0, 500) } : {}),
});

const toTime = (column: string) => `to_timestamp(s.${column} / 1000e0)`;

/** fact_orders: the stage holds the order's fields as the sink received them, times in epoch ms. */
function ordersTable(target: string, targetName: string): MergeTable<OrderChange | RejectedChange> {
  return {
    stage: 'conflux_stage_orders',
    target,
    targetName,
    key: 'order_id',
    stageWidth: 10,
    returnApplied: true,
    stageRow: (c) => {
      if (c.op !== 'upsert') return [];
      const o = c.order;
      return [o.customer_id, o.customer_name, o.customer_email, o.customer_segment, o.status, o.item_count, o.total, o.currency, o.created_at, o.updated_at];
    },
    columns: [
      ['order_id', 's.order_id'],
      ...(['customer_id', 'customer_name', 'customer_email', 'customer_segment', 'status', 'item_count', 'total', 'currency'] as const).map(
        (c) => [c, `s.${c}`] as const,
      ),
      ['created_at', toTime('created_ms')],
      ['updated_at', toTime('updated_ms')],
      ['source_event_time', toTime('source_ts_ms')],
      ['ingest_time', 'now()'],
    ],
  };
}

/** dim_customers. */
function customersTable(target: string, targetName: string): MergeTable<CustomerChange | RejectedChange> {
  return {
    stage: 'conflux_stage_customers',
    target,
    targetName,
    key: 'customer_id',
    stageWidth: 7,
    returnApplied: false,
    stageRow: (c) => {
      if (c.op !== 'upsert') return [];
      const u = c.customer;
      return [u.name, u.email, u.segment, u.city, u.country, u.created_at, u.updated_at];
    },
    columns: [
      ['customer_id', 's.customer_id'],
      ...(['name', 'email', 'segment', 'city', 'country'] as const).map((c) => [c, `s.${c}`] as const),
      ['created_at', toTime('created_ms')],
      ['updated_at', toTime('updated_ms')],
    ],
  };
}

/**
 * Writes batches of warehouse changes to PostgreSQL. One batch is one transaction: COPY into
 * temporary staging tables, merge into the targets so that a change is applied only when its
 * source position is newer than the row's (and than a recorded delete), replace the items of the
 * orders that changed, apply deletes, store the Kafka offsets, COMMIT. The temporary tables live
 * as long as the connection; a lost connection is dropped and the next call opens a new one.
 */
export class WarehouseWriter {
  private client: pg.Client | undefined;
  private readonly t: { orders: string; items: string; customers: string; offsets: string; tombstones: string };
  private readonly merge: MergeOptions;
  private readonly tables: { orders: MergeTable<OrderChange | RejectedChange>; customers: MergeTable<CustomerChange | RejectedChange> };
  private lastSweep = 0;
  private readonly sweepTables: SweepTables;

  constructor(
    private readonly cfg: PostgresSinkConfig,
    private readonly connector: string,
    private readonly logger: Logger,
  ) {
    const s = quoteIdent(cfg['warehouse.schema']);
    this.t = {
      orders: `${s}.${quoteIdent(cfg['table.orders'])}`,
      items: `${s}.${quoteIdent(cfg['table.items'])}`,
      customers: `${s}.${quoteIdent(cfg['table.customers'])}`,
      offsets: `${s}.conflux_sink_offsets`,
      tombstones: `${s}.conflux_sink_tombstones`,
    };
    this.merge = { mode: cfg['insert.mode'], rejected: cfg['rejected.version.policy'], epoch: cfg['reprocess.epoch'], tombstones: this.t.tombstones };
    this.tables = { orders: ordersTable(this.t.orders, cfg['table.orders']), customers: customersTable(this.t.customers, cfg['table.customers']) };
    this.sweepTables = {
      snapshots: `${s}.conflux_sink_snapshots`,
      sweeps: `${s}.conflux_sink_snapshot_sweeps`,
      orders: this.t.orders,
      items: this.t.items,
      customers: this.t.customers,
      ordersName: cfg['table.orders'],
      customersName: cfg['table.customers'],
    };
  }

  /** The connected client, opening (and preparing) a new one after a loss. */
  async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = this.cfg;
    const client = new pg.Client(clientConfig(c, this.connector));
    // An idle connection that dies emits 'error'; unhandled, it would crash the worker.
    client.on('error', (err) => {
      this.logger.warn('PostgreSQL connection lost', { error: err.message });
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
      // A staging table of a 50k-record flush is tens of MB; with the default 8 MB of temp_buffers
      // it would spill to disk on every flush. Must be set before the session's first temp table.
      await client.query(`SET temp_buffers = '${STAGE_BUFFERS}';
        CREATE TEMP TABLE IF NOT EXISTS conflux_stage_orders (
          order_id text, customer_id text, customer_name text, customer_email text, customer_segment text, status text,
          item_count integer, total numeric, currency text, created_ms bigint, updated_ms bigint,
          ${STAGE_POSITION}) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS conflux_stage_customers (
          customer_id text, name text, email text, segment text, city text, country text, created_ms bigint, updated_ms bigint,
          ${STAGE_POSITION}) ON COMMIT DELETE ROWS;`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw classifyPgError(err, 'connect');
    }
    this.client = client;
    return client;
  }

  /** Checks that the target tables exist, so that a typo in table.* fails at start, not at the first batch. */
  async checkTables(): Promise<string[]> {
    const client = await this.connection();
    const s = this.cfg['warehouse.schema'];
    const names = [this.cfg['table.orders'], this.cfg['table.items'], this.cfg['table.customers'], 'conflux_sink_offsets', 'conflux_sink_tombstones'];
    try {
      const { rows } = await client.query<{ name: string }>(
        "SELECT n AS name FROM unnest($1::text[]) AS n WHERE to_regclass(format('%I.%I', $2::text, n)) IS NULL",
        [names, s],
      );
      return rows.map((r) => `${s}.${r.name}`);
    } catch (err) {
      throw this.failed(err, 'checking the tables');
    }
  }

  async readOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffsets> {
    if (partitions.length === 0) return [];
    const client = await this.connection();
    try {
      const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset::text FROM ${this.t.offsets}
          WHERE connector = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
        [this.connector, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
      );
      return rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.next_offset }));
    } catch (err) {
      throw this.failed(err, 'reading the stored offsets');
    }
  }

  /**
   * Writes one batch and the offsets in one transaction. Safe to repeat after an ambiguous failure.
   * A change PostgreSQL refuses with a data error (a value no column can hold) is found by writing
   * halves of the batch, each behind a savepoint, until it stands alone; it goes to `refused` and
   * its row follows rejected.version.policy, while the rest commits with the offsets.
   */
  async write(batch: WriteBatch, offsets: TopicPartitionOffsets, refused: RefusedChange, marks: readonly SnapshotMark[] = []): Promise<void> {
    const client = await this.connection();
    try {
      await client.query('BEGIN');
      try {
        await this.writeChanges(client, batch);
      } catch (err) {
        if (!isDataFailure(err)) throw err;
        // The first attempt runs without a savepoint, because a subtransaction slows every row it
        // writes; only a batch PostgreSQL refused is written again, in halves behind savepoints.
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        await this.isolate(client, batch, err, refused);
      }
      if (marks.length > 0) {
        for (const [topic, deleted] of await recordSnapshots(client, this.connector, this.sweepTables, marks)) {
          this.logger.info(`a snapshot of the collection behind ${topic} is complete: deleted the ${deleted} rows it no longer has`, { topic, deleted });
        }
      }
      if (offsets.length > 0) {
        // Never backwards: a late flush of a task that lost its partitions cannot undo a newer one.
        // Rewinds on purpose go through alterOffsets.
        await client.query(
          `INSERT INTO ${this.t.offsets} AS o (connector, topic, partition, next_offset)
             SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[])
           ON CONFLICT (connector, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
           WHERE o.next_offset < EXCLUDED.next_offset`,
          [this.connector, offsets.map((o) => o.topic), offsets.map((o) => o.partition), offsets.map((o) => o.offset)],
        );
      }
      await this.sweepTombstones(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.failed(err, 'writing a batch');
    }
  }

  private async writeChanges(client: pg.Client, batch: WriteBatch): Promise<void> {
    if (batch.orders.length > 0) await this.writeOrders(client, batch.orders);
    if (batch.customers.length > 0) await this.writeCustomers(client, batch.customers);
  }

  private async writeIsolating(client: pg.Client, batch: WriteBatch, refused: RefusedChange): Promise<void> {
    if (batch.orders.length + batch.customers.length === 0) return;
    await client.query('SAVEPOINT conflux_part');
    try {
      await this.writeChanges(client, batch);
      await client.query('RELEASE SAVEPOINT conflux_part');
    } catch (err) {
      if (!isDataFailure(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT conflux_part');
      await client.query('RELEASE SAVEPOINT conflux_part');
      await this.isolate(client, batch, err, refused);
    }
  }

  /** A batch PostgreSQL refused with `err`: its lone change is refused, or its halves are written apart. */
  private async isolate(client: pg.Client, batch: WriteBatch, err: unknown, refused: RefusedChange): Promise<void> {
    const all: Array<OrderEntry | CustomerEntry> = [...batch.orders, ...batch.customers];
    if (all.length === 1) {
      const entry = all[0]!;
      const e = err as { code?: string; message?: string; column?: string };
      await refused(entry, new Error(`PostgreSQL refused the row${e.column ? ` (column ${e.column})` : ''}: ${e.message} (SQLSTATE ${e.code})`));
      // The refused version is a rejected one: the older row follows rejected.version.policy.
      const rejected: RejectedChange = {
        kind: entry.change.kind,
        op: 'reject',
        id: entry.change.id,
        source_ts_ms: entry.change.source_ts_ms,
        ...(entry.change.source_seq !== undefined ? { source_seq: entry.change.source_seq } : {}),
        rule: `postgres-sink: ${e.message}`,
      };
      const as = { ...entry, change: rejected };
      await this.writeIsolating(client, entry.change.kind === 'order' ? { orders: [as], customers: [] } : { orders: [], customers: [as] }, refused);
      return;
    }
    const half = Math.ceil(all.length / 2);
    for (const part of [all.slice(0, half), all.slice(half)]) {
      await this.writeIsolating(
        client,
        {
          orders: part.filter((e): e is OrderEntry => e.change.kind === 'order'),
          customers: part.filter((e): e is CustomerEntry => e.change.kind === 'customer'),
        },
        refused,
      );
    }
  }

  /** Tombstones older than tombstones.retention.ms can no longer stop an older change: see the config key. */
  private async sweepTombstones(client: pg.Client): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < TOMBSTONE_SWEEP_MS) return;
    this.lastSweep = now;
    await client.query(`DELETE FROM ${this.t.tombstones} WHERE target_table = ANY($1::text[]) AND source_ts_ms < $2`, [
      [this.cfg['table.orders'], this.cfg['table.customers']],
      now - this.cfg['tombstones.retention.ms'],
    ]);
  }

  private async writeOrders(client: pg.Client, changes: readonly OrderEntry[]): Promise<void> {
    const { applied, deleted } = await mergeStaged(client, this.tables.orders, changes.map(staged), this.merge);
    // Items of the orders the merge applied replace their old items; they go straight into the
    // target with COPY (no staging: which orders won is known by now). Only an order that existed
    // can have old items: a row the merge updated rather than inserted has a non-zero xmax (it was
    // locked by ON CONFLICT), so a batch of new orders deletes nothing.
    const gone = [...applied.filter((r) => r.replaced).map((r) => r.key), ...deleted];
    if (gone.length > 0) await client.query(`DELETE FROM ${this.t.items} WHERE order_id = ANY($1::text[])`, [gone]);
    if (applied.length === 0) return;
    const won = new Set(applied.map((r) => r.key));
    await copyRows(
      client,
      `COPY ${this.t.items} (order_id, line, sku, name, quantity, unit_price) FROM STDIN`,
      (function* () {
        for (const { change: c } of changes) {
          if (c.op !== 'upsert' || !won.has(c.id)) continue;
          for (const it of c.items) yield copyRow([c.id, it.line, it.sku, it.name, it.quantity, it.unit_price]);
        }
      })(),
    );
  }

  private async writeCustomers(client: pg.Client, changes: readonly CustomerEntry[]): Promise<void> {
    await mergeStaged(client, this.tables.customers, changes.map(staged), this.merge);
  }

  /** Drops the connection after a connection failure, so that the retry starts on a new one. */
  private failed(err: unknown, what: string): unknown {
    const classified = classifyPgError(err, what);
    if (classified !== err || (err as { code?: string }).code === undefined) this.drop();
    return classified;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
