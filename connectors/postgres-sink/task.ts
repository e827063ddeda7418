import pg from 'pg';
import {
  backoffDelay,
  ConfigError,
  DataError,
  eventTimeOf,
  RetriableError,
  topicPartitionKey,
  type RejectedRecord,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  type TopicPartition,
  type TopicPartitionOffset,
  type TopicPartitionOffsets,
} from '../../runtime/api/index.js';
import type { PostgresSinkConfig } from './config.js';
import { parseSweepTopics, type SnapshotMark } from './snapshot-sweep.js';
import { migrate } from './migrate.js';
import { classifyPgError } from './pg-errors.js';
import { ChangeBuffer, type Positioned } from './change-buffer.js';
import type { CustomerChange, OrderChange, RejectedChange, WarehouseChange } from './records.js';
import { columnProblem } from './row-checks.js';
import { WarehouseWriter } from './writer.js';

const isText = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optText = (v: unknown) => v === null || isText(v);
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Why the sink cannot write this record (its NOT NULL columns and types), or undefined. Checked
 * before COPY, because one bad row in COPY would fail the whole batch.
 */
function problem(value: unknown): string | undefined {
  const c = value as WarehouseChange | null;
  if (c === null || typeof c !== 'object' || (c.kind !== 'order' && c.kind !== 'customer'))
    return 'the value is not a warehouse change (use ParseOrder or ParseCustomer)';
  if (!isText(c.id) || c.id === '' || !isTime(c.source_ts_ms)) return 'the change has no id or source_ts_ms';
  if (c.op === 'delete') return undefined;
  if (c.op !== 'upsert') return `unknown op ${JSON.stringify((c as { op?: unknown }).op)}`;
  if (c.kind === 'customer') {
    const u = c.customer;
    return u && isText(u.name) && optText(u.email) && optText(u.segment) && optText(u.city) && optText(u.country)
      ? undefined
      : 'the customer has no name or a field of the wrong type';
  }
  const o = c.order;
  if (!o || !isText(o.customer_id) || !isText(o.status) || !isText(o.currency) || o.currency.length !== 3)
    return 'the order lacks customer_id, status or a 3-letter currency';
  if (!isText(o.total) || !DECIMAL.test(o.total) || !isInt(o.item_count) || !isTime(o.created_at) || !isTime(o.updated_at))
    return 'the order has a bad total, item_count or timestamp';
  if (!optText(o.customer_name) || !optText(o.customer_email) || !optText(o.customer_segment)) return 'the order has customer fields of the wrong type';
  const lines = new Set<number>();
  for (const it of c.items ?? []) {
    if (
      !isInt(it.line) ||
      lines.has(it.line) ||
      !isText(it.sku) ||
      !isText(it.name) ||
      !isInt(it.quantity) ||
      !isText(it.unit_price) ||
      !DECIMAL.test(it.unit_price)
    ) {
      return `item line ${String(it.line)} is incomplete, duplicated or mistyped`;
    }
    lines.add(it.line);
  }
  return undefined;
}

const OPEN_ATTEMPTS = 8;

/** What one writer writes in a flush: the changes of its partitions and their offsets. */
interface Share {
  orders: Array<Positioned<OrderChange | RejectedChange>>;
  customers: Array<Positioned<CustomerChange | RejectedChange>>;
  offsets: TopicPartitionOffset[];
  marks: SnapshotMark[];
}

/** The rule a dead-letter message starts with (`quantity-positive: ...`), else the whole reason, short. */
const ruleOf = (reason: string) => (/^[a-z0-9-]+: /.test(reason) ? reason.slice(0, reason.indexOf(':')) : reason.slice(0, 200));

/**
 * One task of the PostgreSQL sink. `put` validates and buffers; `flush` writes what was buffered
 * and the offsets the runtime is about to commit in one transaction, so flush is the only point
 * where data becomes durable and a runner that accumulates several fetches before flushing needs
 * no change here. Offsets live in the warehouse: on every assignment the task seeks to them.
 */
export class PostgresSinkTask implements SinkTask<PostgresSinkConfig> {
  private ctx!: SinkTaskContext;
  private cfg!: PostgresSinkConfig;
  /** One writer (one connection) per share of a flush; the first also reads offsets and migrates. */
  private writers: WarehouseWriter[] = [];
  /** The changes buffered since the last flush, per table kind, reduced per document (see ChangeBuffer). */
  private orders!: ChangeBuffer<OrderChange | RejectedChange>;
  private customers!: ChangeBuffer<CustomerChange | RejectedChange>;
  /** The kind of document each topic carries, as its records showed: what a rejected record that never parsed deletes. */
  private readonly kinds = new Map<string, 'order' | 'customer'>();
  private tables!: { orders: string; items: string; customers: string };
  /** snapshot.sweep.topics, and the snapshot markers read since the last flush. */
  private sweepKinds = new Map<string, 'order' | 'customer'>();
  private marks: SnapshotMark[] = [];

  async start(ctx: SinkTaskContext, config: PostgresSinkConfig): Promise<void> {
    this.ctx = ctx;
    this.cfg = config;
    const modes = { mode: config['insert.mode'], deletes: config['delete.enabled'], rejected: config['rejected.version.policy'] };
    this.orders = new ChangeBuffer(modes);
    this.customers = new ChangeBuffer(modes);
    this.tables = { orders: config['table.orders'], items: config['table.items'], customers: config['table.customers'] };
    ctx.offsetsManagedBySink();
    this.sweepKinds = parseSweepTopics(config['snapshot.sweep.topics']);
    if (this.sweepKinds.size > 0) ctx.receiveSnapshotMarkers();
    this.writers = Array.from({ length: config['flush.connections'] }, () => new WarehouseWriter(config, ctx.connector, ctx.logger));
    if (config['auto.migrate']) {
      const client = await this.writers[0]!.connection();
      try {
        const result = await migrate(client as pg.ClientBase, config['warehouse.schema']);
        if (result.applied.length > 0) ctx.logger.info('applied warehouse migrations', { applied: result.applied, schema: config['warehouse.schema'] });
      } catch (err) {
        throw classifyPgError(err, 'migrating the warehouse');
      }
    }
    const missing = await this.writers[0]!.checkTables();
    if (missing.length > 0) {
      throw new ConfigError([
        { key: 'table.orders', message: `table(s) ${missing.join(', ')} do not exist: run conflux warehouse migrate or set auto.migrate=true` },
      ]);
    }
  }

  async open(partitions: readonly TopicPartition[]): Promise<void> {
    // The runtime does not retry open(): ride out a short outage here, so an assignment during a
    // PostgreSQL restart does not fail the task.
    let stored: TopicPartitionOffsets | undefined;
    for (let attempt = 0; stored === undefined; attempt++) {
      try {
        stored = await this.writers[0]!.readOffsets(partitions);
      } catch (err) {
        if (!(err instanceof RetriableError) || attempt >= OPEN_ATTEMPTS) throw err;
        this.ctx.logger.warn('cannot read the stored offsets yet; retrying', { attempt, error: err.message });
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 250, 8000)));
      }
    }
    // A partition without a position in the warehouse starts from its first record (offsets.initial
    // earliest, as a new or restored warehouse needs), not from wherever the group committed.
    const known = new Set(stored.map((o) => topicPartitionKey(o.topic, o.partition)));
    const fresh =
      this.cfg['offsets.initial'] === 'earliest'
        ? partitions.filter((p) => !known.has(topicPartitionKey(p.topic, p.partition))).map((p) => ({ ...p, offset: '0' }))
        : [];
    if (stored.length + fresh.length > 0) this.ctx.seek([...stored, ...fresh]);
    this.ctx.logger.info('resuming from the offsets stored in the warehouse', {
      partitions: partitions.length,
      stored: stored.length,
      fromStart: fresh.length,
    });
  }

  async close(partitions: readonly TopicPartition[]): Promise<void> {
    // Unflushed records of revoked partitions go to their next owner, which re-reads them.
    const revoked = new Set(partitions.map((p) => topicPartitionKey(p.topic, p.partition)));
    this.orders.dropPartitions(revoked);
    this.customers.dropPartitions(revoked);
    this.marks = this.marks.filter((m) => !revoked.has(topicPartitionKey(m.topic, m.partition)));
  }

  async put(records: SinkRecord[]): Promise<void> {
    for (const record of records) {
      if (record.snapshotComplete) {
        const kind = this.sweepKinds.get(record.topic);
        const { start, partitions } = record.snapshotComplete;
        if (kind) this.marks.push({ topic: record.topic, partition: record.kafkaPartition, partitions, start, kind });
        continue;
      }
      const value = record.value as WarehouseChange;
      const why = problem(value) ?? columnProblem(value, this.tables);
      if (why) {
        await this.ctx.reportError(record, new DataError(`postgres-sink: ${why}`));
        // A version the warehouse cannot hold is a rejected version of its document.
        if (value !== null && typeof value === 'object' && (value.kind === 'order' || value.kind === 'customer') && typeof value.id === 'string') {
          this.buffer(record, {
            kind: value.kind,
            op: 'reject',
            id: value.id,
            source_ts_ms: value.source_ts_ms,
            source_seq: value.source_seq ?? 0,
            rule: `postgres-sink: ${why}`,
          });
        }
        continue;
      }
      this.kinds.set(record.topic, value.kind);
      this.buffer(record, value);
    }
  }

  /**
   * Records the pipeline rejected before they reached put: each is a rejected version of its
   * document (rejected.version.policy), dated by its source position. Its document comes from the
   * record as the failing stage got it (a ParseOrder/ParseCustomer change), else from its key and
   * the topic's kind of documents; one that names no document is left out, with a warning.
   */
  async rejected(records: readonly RejectedRecord[]): Promise<void> {
    for (const r of records) {
      const change = r.record?.value as Partial<WarehouseChange> | Partial<{ source: { cluster_time_ms: number } }> | null | undefined;
      const parsed = change && typeof change === 'object' && 'kind' in change && typeof change.id === 'string' ? (change as WarehouseChange) : undefined;
      const kind = parsed?.kind ?? this.kinds.get(r.topic);
      const id = parsed?.id ?? (typeof r.record?.key === 'string' ? r.record.key : r.rawKey);
      const time = eventTimeOf(r) ?? (r.record ? eventTimeOf(r.record) : undefined);
      const ts = parsed?.source_ts_ms ?? (change as { source?: { cluster_time_ms?: unknown } } | undefined)?.source?.cluster_time_ms ?? time?.ms;
      if (!kind || !id || typeof ts !== 'number') {
        this.ctx.logger.warn('a rejected record names no document to apply rejected.version.policy to', {
          topic: r.topic,
          partition: r.kafkaPartition,
          offset: r.kafkaOffset,
        });
        continue;
      }
      const entryRecord = r.record ?? {
        topic: r.topic,
        kafkaPartition: r.kafkaPartition,
        kafkaOffset: r.kafkaOffset,
        key: id,
        value: null,
        headers: r.headers,
        timestamp: 0,
      };
      this.buffer(entryRecord, {
        kind,
        op: 'reject',
        id,
        source_ts_ms: ts,
        source_seq: parsed?.source_seq ?? time?.seq ?? 0,
        rule: `${r.stage}: ${ruleOf(r.reason)}`,
      });
    }
  }

  private buffer(record: SinkRecord, change: WarehouseChange | RejectedChange): void {
    const entry = { change, offset: BigInt(record.kafkaOffset), tp: topicPartitionKey(record.topic, record.kafkaPartition), record };
    if (change.kind === 'order') this.orders.add(entry as Positioned<OrderChange | RejectedChange>);
    else this.customers.add(entry as Positioned<CustomerChange | RejectedChange>);
  }

  async flush(offsets: TopicPartitionOffsets): Promise<void> {
    if (this.orders.size === 0 && this.customers.size === 0 && offsets.length === 0 && this.marks.length === 0) return;
    const shares = this.share(offsets);
    // Every share is settled before this returns: a retry must not start on a connection that is
    // still writing. A share that committed is written again by the retry, which changes nothing
    // (the merge applies only newer positions).
    const results = await Promise.allSettled(shares.map((share, i) => this.writeShare(this.writers[i]!, share)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.orders.clear();
    this.customers.clear();
    this.marks = [];
  }

  /**
   * Splits the buffered changes and the offsets by partition into one share per writer, the
   * partitions with the most changes first, each to the least loaded share. A document's changes
   * share one partition, so no two shares write the same row.
   */
  private share(offsets: TopicPartitionOffsets): Share[] {
    const byTp = new Map<string, Share>();
    const of = (key: string) => {
      let s = byTp.get(key);
      if (!s) byTp.set(key, (s = { orders: [], customers: [], offsets: [], marks: [] }));
      return s;
    };
    for (const e of this.orders.changes()) of(e.tp).orders.push(e);
    for (const e of this.customers.changes()) of(e.tp).customers.push(e);
    for (const o of offsets) of(topicPartitionKey(o.topic, o.partition)).offsets.push(o);
    for (const m of this.marks) of(topicPartitionKey(m.topic, m.partition)).marks.push(m);
    const shares: Share[] = this.writers.map(() => ({ orders: [], customers: [], offsets: [], marks: [] }));
    const size = (s: Share) => s.orders.length + s.customers.length;
    for (const part of [...byTp.values()].sort((a, b) => size(b) - size(a))) {
      const target = shares.reduce((min, s) => (size(s) < size(min) ? s : min));
      target.orders.push(...part.orders);
      target.customers.push(...part.customers);
      target.offsets.push(...part.offsets);
      target.marks.push(...part.marks);
    }
    return shares;
  }

  private async writeShare(writer: WarehouseWriter, share: Share): Promise<void> {
    const { orders, customers, offsets, marks } = share;
    if (orders.length === 0 && customers.length === 0 && offsets.length === 0 && marks.length === 0) return;
    const max = this.cfg['batch.max.records'];
    // Every slice but the last commits rows only; replaying them after a crash is harmless because
    // the merge applies only newer positions. The last slice commits the offsets with its rows.
    const slices = Math.max(1, Math.ceil((orders.length + customers.length) / max));
    for (let i = 0; i < slices; i++) {
      const from = i * max;
      const to = from + max;
      const o = orders.slice(Math.min(from, orders.length), Math.min(to, orders.length));
      const c = customers.slice(Math.max(0, from - orders.length), Math.max(0, to - orders.length));
      const last = i === slices - 1;
      // The marks go with the last slice: after every row of the flush, with the offsets past them.
      await writer.write(
        { orders: o, customers: c },
        last ? offsets : [],
        (entry, error) => this.ctx.reportError(entry.record, new DataError(`postgres-sink: ${error.message}`)),
        last ? marks : [],
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}
