import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger, TopicPartition, TopicPartitionOffsets } from '../../runtime/api/index.js';
import type { PostgresSinkConfig } from './config.js';
import { copyRow } from './copy-text.js';
import { quoteIdent } from './identifiers.js';
import { classifyPgError } from './pg-errors.js';
import type { CustomerChange, OrderChange } from './records.js';

/** One buffered change with its source position: cluster time, then Kafka offset. */
export interface Positioned<C> {
  readonly change: C;
  readonly offset: bigint;
}

export interface WriteBatch {
  readonly orders: readonly Positioned<OrderChange>[];
  readonly customers: readonly Positioned<CustomerChange>[];
}

const ROWS_PER_CHUNK = 2000;
const STAGE_BUFFERS = '256MB';

/** Streams rows to COPY in chunks, so a big batch is never one huge string. */
async function copy(client: pg.Client, sql: string, rows: Iterable<string>): Promise<void> {
  function* chunks() {
    let chunk = '';
    let n = 0;
    for (const row of rows) {
      chunk += row;
      if (++n === ROWS_PER_CHUNK) {
        yield chunk;
        chunk = '';
        n = 0;
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
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
  }

  /** The connected client, opening (and preparing) a new one after a loss. */
  async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = this.cfg;
    const client = new pg.Client(
      c['connection.url']
        ? { connectionString: c['connection.url'], application_name: `conflux:${this.connector}` }
        : {
            host: c['connection.host'],
            port: c['connection.port'],
            database: c['connection.database'],
            user: c['connection.user'],
            ...(c['connection.password'] !== undefined ? { password: c['connection.password'] } : {}),
            application_name: `conflux:${this.connector}`,
          },
    );
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
          source_ts_ms bigint, source_offset bigint, op char(1)) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS conflux_stage_customers (
          customer_id text, name text, email text, segment text, city text, country text, created_ms bigint, updated_ms bigint,
          source_ts_ms bigint, source_offset bigint, op char(1)) ON COMMIT DELETE ROWS;`);
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
        'SELECT n AS name FROM unnest($1::text[]) AS n WHERE to_regclass(format(\'%I.%I\', $2::text, n)) IS NULL',
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

  /** Writes one batch and the offsets in one transaction. Safe to repeat after an ambiguous failure. */
  async write(batch: WriteBatch, offsets: TopicPartitionOffsets): Promise<void> {
    const client = await this.connection();
    try {
      await client.query('BEGIN');
      if (batch.orders.length > 0) await this.writeOrders(client, batch.orders);
      if (batch.customers.length > 0) await this.writeCustomers(client, batch.customers);
      if (offsets.length > 0) {
        await client.query(
          `INSERT INTO ${this.t.offsets} (connector, topic, partition, next_offset)
             SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[])
           ON CONFLICT (connector, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
          [this.connector, offsets.map((o) => o.topic), offsets.map((o) => o.partition), offsets.map((o) => o.offset)],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.failed(err, 'writing a batch');
    }
  }

  private async writeOrders(client: pg.Client, changes: readonly Positioned<OrderChange>[]): Promise<void> {
    const upsert = this.cfg['insert.mode'] === 'upsert';
    const deletes = this.cfg['delete.enabled'];
    let hasDeletes = false;
    await copy(
      client,
      `COPY conflux_stage_orders FROM STDIN`,
      (function* () {
        for (const { change: c, offset } of changes) {
          if (c.op === 'upsert') {
            const o = c.order;
            yield copyRow([c.id, o.customer_id, o.customer_name, o.customer_email, o.customer_segment, o.status, o.item_count, o.total, o.currency, o.created_at, o.updated_at, c.source_ts_ms, offset, 'u']);
          } else if (deletes) {
            hasDeletes = true;
            yield copyRow([c.id, null, null, null, null, null, null, null, null, null, null, c.source_ts_ms, offset, 'd']);
          }
        }
      })(),
    );
    const newer = '(EXCLUDED.source_ts_ms, EXCLUDED.source_offset) > (t.source_ts_ms, t.source_offset)';
    const conflict = upsert
      ? `DO UPDATE SET customer_id = EXCLUDED.customer_id, customer_name = EXCLUDED.customer_name, customer_email = EXCLUDED.customer_email,
           customer_segment = EXCLUDED.customer_segment, status = EXCLUDED.status, item_count = EXCLUDED.item_count, total = EXCLUDED.total,
           currency = EXCLUDED.currency, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
           source_event_time = EXCLUDED.source_event_time, ingest_time = EXCLUDED.ingest_time,
           source_ts_ms = EXCLUDED.source_ts_ms, source_offset = EXCLUDED.source_offset
         WHERE ${newer}`
      : 'DO NOTHING';
    const { rows: applied } = await client.query<{ order_id: string; replaced: boolean }>(
      `INSERT INTO ${this.t.orders} AS t (order_id, customer_id, customer_name, customer_email, customer_segment, status, item_count, total,
                currency, created_at, updated_at, source_event_time, ingest_time, source_ts_ms, source_offset)
         SELECT s.order_id, s.customer_id, s.customer_name, s.customer_email, s.customer_segment, s.status, s.item_count, s.total, s.currency,
                to_timestamp(s.created_ms / 1000e0), to_timestamp(s.updated_ms / 1000e0), to_timestamp(s.source_ts_ms / 1000e0), now(),
                s.source_ts_ms, s.source_offset
           FROM conflux_stage_orders s
          WHERE s.op = 'u' AND NOT EXISTS (
                SELECT 1 FROM ${this.t.tombstones} d WHERE d.target_table = $1 AND d.key = s.order_id
                   AND (d.source_ts_ms, d.source_offset) >= (s.source_ts_ms, s.source_offset))
         ON CONFLICT (order_id) ${conflict}
         RETURNING t.order_id, t.xmax <> '0'::xid AS replaced`,
      [this.cfg['table.orders']],
    );
    // Items of the orders the merge applied replace their old items; they go straight into the
    // target with COPY (no staging: which orders won is known by now). Only an order that existed
    // can have old items: a row the merge updated rather than inserted has a non-zero xmax (it was
    // locked by ON CONFLICT), so a batch of new orders deletes nothing.
    if (applied.length > 0) {
      const won = new Set(applied.map((r) => r.order_id));
      const replaced = applied.filter((r) => r.replaced).map((r) => r.order_id);
      if (replaced.length > 0) await client.query(`DELETE FROM ${this.t.items} WHERE order_id = ANY($1::text[])`, [replaced]);
      await copy(
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
    if (hasDeletes) {
      await client.query(
        `WITH gone AS (
           DELETE FROM ${this.t.orders} t USING conflux_stage_orders s
            WHERE s.op = 'd' AND t.order_id = s.order_id AND (s.source_ts_ms, s.source_offset) > (t.source_ts_ms, t.source_offset)
           RETURNING t.order_id),
         items AS (DELETE FROM ${this.t.items} i USING gone g WHERE i.order_id = g.order_id)
         ${this.tombstoneSql('conflux_stage_orders', 'order_id')}`,
        [this.cfg['table.orders']],
      );
    }
  }

  private async writeCustomers(client: pg.Client, changes: readonly Positioned<CustomerChange>[]): Promise<void> {
    const deletes = this.cfg['delete.enabled'];
    let hasDeletes = false;
    await copy(
      client,
      `COPY conflux_stage_customers FROM STDIN`,
      (function* () {
        for (const { change: c, offset } of changes) {
          if (c.op === 'upsert') {
            const u = c.customer;
            yield copyRow([c.id, u.name, u.email, u.segment, u.city, u.country, u.created_at, u.updated_at, c.source_ts_ms, offset, 'u']);
          } else if (deletes) {
            hasDeletes = true;
            yield copyRow([c.id, null, null, null, null, null, null, null, c.source_ts_ms, offset, 'd']);
          }
        }
      })(),
    );
    const conflict =
      this.cfg['insert.mode'] === 'upsert'
        ? `DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, segment = EXCLUDED.segment, city = EXCLUDED.city,
             country = EXCLUDED.country, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
             source_ts_ms = EXCLUDED.source_ts_ms, source_offset = EXCLUDED.source_offset
           WHERE (EXCLUDED.source_ts_ms, EXCLUDED.source_offset) > (t.source_ts_ms, t.source_offset)`
        : 'DO NOTHING';
    await client.query(
      `INSERT INTO ${this.t.customers} AS t (customer_id, name, email, segment, city, country, created_at, updated_at, source_ts_ms, source_offset)
       SELECT s.customer_id, s.name, s.email, s.segment, s.city, s.country, to_timestamp(s.created_ms / 1000e0), to_timestamp(s.updated_ms / 1000e0),
              s.source_ts_ms, s.source_offset
         FROM conflux_stage_customers s
        WHERE s.op = 'u' AND NOT EXISTS (
              SELECT 1 FROM ${this.t.tombstones} d WHERE d.target_table = $1 AND d.key = s.customer_id
                 AND (d.source_ts_ms, d.source_offset) >= (s.source_ts_ms, s.source_offset))
       ON CONFLICT (customer_id) ${conflict}`,
      [this.cfg['table.customers']],
    );
    if (hasDeletes) {
      await client.query(
        `WITH gone AS (
           DELETE FROM ${this.t.customers} t USING conflux_stage_customers s
            WHERE s.op = 'd' AND t.customer_id = s.customer_id AND (s.source_ts_ms, s.source_offset) > (t.source_ts_ms, t.source_offset))
         ${this.tombstoneSql('conflux_stage_customers', 'customer_id')}`,
        [this.cfg['table.customers']],
      );
    }
  }

  /** Records each delete's position, so that an older change arriving later cannot bring the row back. */
  private tombstoneSql(stage: string, idColumn: string): string {
    return `INSERT INTO ${this.t.tombstones} AS t (target_table, key, source_ts_ms, source_offset)
            SELECT $1, s.${idColumn}, s.source_ts_ms, s.source_offset FROM ${stage} s WHERE s.op = 'd'
            ON CONFLICT (target_table, key) DO UPDATE SET source_ts_ms = EXCLUDED.source_ts_ms, source_offset = EXCLUDED.source_offset
            WHERE (EXCLUDED.source_ts_ms, EXCLUDED.source_offset) > (t.source_ts_ms, t.source_offset)`;
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
