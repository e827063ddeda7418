import type { Admin } from 'kafkajs';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { quoteIdent } from '../../connectors/postgres-sink/identifiers.js';

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
  /** Records each sink connector holds parked (a join waiting for its other side); empty when the worker's metrics are not readable. */
  readonly parked: Readonly<Record<string, number>>;
  /** Changes written to MongoDB and records taken by the sinks, per second over the last {@link WINDOW_MS}. */
  readonly throughput: { readonly mongo: number; readonly warehouse: number };
  /** End-to-end latency of the orders written to the warehouse in the last {@link WINDOW_MS}, in ms; undefined when none were. */
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

/** Throughput and latency are measured over this much time: the sinks write in batches, so one second says little. */
export const WINDOW_MS = 10_000;

/** Collects progress snapshots from MongoDB, Kafka and the warehouse. */
export class ProgressCollector {
  private readonly started = Date.now();
  /** Earlier counts, oldest first, covering at least the window. */
  private history: { at: number; changes: number; consumed: number }[] = [];

  constructor(
    private readonly io: { db: Db; pg: pg.ClientBase; admin: Admin },
    private readonly schema: string,
    private readonly topics: PipelineTopics,
    private readonly writes: () => WriteCounts,
    /** The worker's `GET /metrics`, for the parked records. */
    private readonly metricsUrl?: string,
  ) {}

  async collect(): Promise<ProgressSnapshot> {
    const now = Date.now();
    const writes = this.writes();
    const [orders, customers] = await Promise.all([this.io.db.collection('orders').countDocuments(), this.io.db.collection('customers').countDocuments()]);
    const existing = new Set(await this.io.admin.listTopics());
    const ends: Record<string, Map<number, number>> = {};
    for (const topic of [...this.topics.data, ...this.topics.deadLetter]) {
      // A topic created a moment ago may have no leader yet: it counts as empty until it has one.
      const offsets = existing.has(topic) ? await this.io.admin.fetchTopicOffsets(topic).catch(() => []) : [];
      ends[topic] = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
    }
    const sum = (topic: string) => [...(ends[topic]?.values() ?? [])].reduce((a, b) => a + b, 0);
    const s = quoteIdent(this.schema);
    const counts = await this.io.pg.query<{ orders: string; items: string; customers: string }>(
      `SELECT (SELECT count(*) FROM ${s}.fact_orders) AS orders, (SELECT count(*) FROM ${s}.fact_order_items) AS items,
              (SELECT count(*) FROM ${s}.dim_customers) AS customers`,
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
    const latency = await this.latency();
    const parked = await this.parked(Object.keys(this.topics.sinks));
    this.history.push({ at: now, changes: writes.changes, consumed });
    while (this.history.length > 2 && this.history[1]!.at <= now - WINDOW_MS) this.history.shift();
    const first = this.history[0]!;
    const seconds = (now - first.at) / 1000;
    const throughput =
      seconds > 0 ? { mongo: (writes.changes - first.changes) / seconds, warehouse: (consumed - first.consumed) / seconds } : { mongo: 0, warehouse: 0 };
    return {
      elapsedMs: now - this.started,
      mongo: { orders, customers, changesWritten: writes.changes, ordersCreated: writes.ordersCreated },
      topics: Object.fromEntries(this.topics.data.map((t) => [t, sum(t)])),
      warehouse: { orders: Number(row.orders), items: Number(row.items), customers: Number(row.customers) },
      deadLettered: this.topics.deadLetter.reduce((a, t) => a + sum(t), 0),
      lag,
      parked,
      throughput,
      latency,
    };
  }

  /** conflux_sink_records_parked per connector, summed over its tasks. */
  private async parked(connectors: readonly string[]): Promise<Record<string, number>> {
    if (!this.metricsUrl) return {};
    try {
      const text = await (await fetch(this.metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^conflux_sink_records_parked\{([^}]*)\} (\S+)$/gm)) {
        const connector = /connector="([^"]*)"/.exec(m[1]!)?.[1];
        if (connector && connectors.includes(connector)) out[connector] = (out[connector] ?? 0) + Number(m[2]);
      }
      return out;
    } catch {
      // The view goes on without the figure: the worker may be restarting.
      return {};
    }
  }

  /**
   * From the data itself: each order change sets the document's updated_at (milliseconds) as it is
   * written to MongoDB, and fact_orders keeps the time of the warehouse transaction that wrote the
   * row (ingest_time). source_event_time, the change's cluster time, has whole seconds only (a
   * BSON Timestamp), too coarse here. Rows of documents written before the run are left out.
   */
  private async latency(): Promise<ProgressSnapshot['latency']> {
    const { rows } = await this.io.pg.query<{ p50: number | null; p99: number | null; n: string }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, count(*) AS n
         FROM (SELECT extract(epoch FROM ingest_time - updated_at) * 1000 AS ms FROM ${quoteIdent(this.schema)}.fact_orders
                WHERE ingest_time >= now() - $1::interval AND updated_at >= $2::timestamptz) l`,
      [`${WINDOW_MS} milliseconds`, new Date(this.started)],
    );
    const r = rows[0]!;
    return r.p50 === null || r.p99 === null ? undefined : { p50: r.p50, p99: r.p99, samples: Number(r.n) };
  }
}
