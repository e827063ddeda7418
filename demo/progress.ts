import type { Admin } from 'kafkajs';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { quoteIdent } from '../connectors/postgres-sink/identifiers.js';

/** One look at the whole pipeline, as the progress view shows it. */
export interface ProgressSnapshot {
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  readonly mongo: { readonly orders: number; readonly customers: number; readonly changesWritten: number; readonly ordersCreated: number };
  /** Records per topic (the sum of the partitions' end offsets). */
  readonly topics: Readonly<Record<string, number>>;
  readonly warehouse: { readonly orders: number; readonly items: number; readonly customers: number };
  readonly deadLettered: number;
  /** Records each sink connector has yet to write. */
  readonly lag: Readonly<Record<string, number>>;
  /** Changes written to MongoDB and records taken by the sinks, per second since the last snapshot. */
  readonly throughput: { readonly mongo: number; readonly warehouse: number };
  /** End-to-end latency of the orders written since the last snapshot, in ms; undefined when none were. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly samples: number } | undefined;
}

export interface PipelineTopics {
  /** Topics of the change records (orders, customers). */
  readonly data: readonly string[];
  readonly deadLetter: readonly string[];
  /** Sink connector -> the topics it reads. */
  readonly sinks: Readonly<Record<string, readonly string[]>>;
}

/** What the generator reports about its writes. */
export interface WriteCounts {
  readonly changes: number;
  readonly ordersCreated: number;
}

/**
 * Collects progress snapshots from MongoDB, Kafka and the warehouse. Throughput and latency are
 * measured between two consecutive snapshots, so call `collect` at a steady interval.
 */
export class ProgressCollector {
  private readonly started = Date.now();
  private last: { at: number; changes: number; consumed: number; pgNow: string | undefined } | undefined;

  constructor(
    private readonly io: { db: Db; pg: pg.ClientBase; admin: Admin },
    private readonly schema: string,
    private readonly topics: PipelineTopics,
    private readonly writes: () => WriteCounts,
  ) {}

  async collect(): Promise<ProgressSnapshot> {
    const now = Date.now();
    const writes = this.writes();
    const [orders, customers] = await Promise.all([
      this.io.db.collection('orders').countDocuments(),
      this.io.db.collection('customers').countDocuments(),
    ]);
    const existing = new Set(await this.io.admin.listTopics());
    const ends: Record<string, Map<number, number>> = {};
    for (const topic of [...this.topics.data, ...this.topics.deadLetter]) {
      ends[topic] = existing.has(topic) ? new Map((await this.io.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])) : new Map();
    }
    const sum = (topic: string) => [...(ends[topic]?.values() ?? [])].reduce((a, b) => a + b, 0);
    const s = quoteIdent(this.schema);
    const counts = await this.io.pg.query<{ orders: string; items: string; customers: string; pg_now: string }>(
      `SELECT (SELECT count(*) FROM ${s}.fact_orders) AS orders, (SELECT count(*) FROM ${s}.fact_order_items) AS items,
              (SELECT count(*) FROM ${s}.dim_customers) AS customers, now()::text AS pg_now`,
    );
    const positions = await this.io.pg.query<{ connector: string; topic: string; partition: number; next_offset: string }>(
      `SELECT connector, topic, partition, next_offset::text FROM ${s}.conflux_sink_offsets WHERE connector = ANY($1::text[])`,
      [Object.keys(this.topics.sinks)],
    );
    const lag: Record<string, number> = {};
    let consumed = 0;
    for (const [connector, topics] of Object.entries(this.topics.sinks)) {
      let behind = 0;
      for (const topic of topics) {
        for (const [partition, end] of ends[topic] ?? []) {
          const stored = positions.rows.find((r) => r.connector === connector && r.topic === topic && r.partition === partition);
          const position = stored ? Number(stored.next_offset) : 0;
          behind += Math.max(0, end - position);
          consumed += position;
        }
      }
      lag[connector] = behind;
    }
    const row = counts.rows[0]!;
    const latency = this.last?.pgNow ? await this.latencySince(this.last.pgNow) : undefined;
    const seconds = this.last ? (now - this.last.at) / 1000 : 0;
    const throughput =
      this.last && seconds > 0
        ? { mongo: (writes.changes - this.last.changes) / seconds, warehouse: (consumed - this.last.consumed) / seconds }
        : { mongo: 0, warehouse: 0 };
    this.last = { at: now, changes: writes.changes, consumed, pgNow: row.pg_now };
    return {
      elapsedMs: now - this.started,
      mongo: { orders, customers, changesWritten: writes.changes, ordersCreated: writes.ordersCreated },
      topics: Object.fromEntries(this.topics.data.map((t) => [t, sum(t)])),
      warehouse: { orders: Number(row.orders), items: Number(row.items), customers: Number(row.customers) },
      deadLettered: this.topics.deadLetter.reduce((a, t) => a + sum(t), 0),
      lag,
      throughput,
      latency,
    };
  }

  /**
   * From the data itself: each order change sets the document's updated_at (milliseconds) as it is
   * written to MongoDB, and fact_orders keeps the time of the warehouse transaction that wrote the
   * row (ingest_time). source_event_time, the change's cluster time, has whole seconds only (a
   * BSON Timestamp), too coarse here. Rows of documents written before the run are left out.
   */
  private async latencySince(since: string): Promise<ProgressSnapshot['latency']> {
    const { rows } = await this.io.pg.query<{ p50: number | null; p99: number | null; n: string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, count(*) AS n
         FROM (SELECT extract(epoch FROM ingest_time - updated_at) * 1000 AS ms FROM ${quoteIdent(this.schema)}.fact_orders
                WHERE ingest_time >= $1::timestamptz AND updated_at >= $2::timestamptz) l`,
      [since, new Date(this.started)],
    );
    const r = rows[0]!;
    return r.p50 === null || r.p99 === null ? undefined : { p50: r.p50, p99: r.p99, samples: Number(r.n) };
  }
}
