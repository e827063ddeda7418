import type pg from 'pg';
import { ConfigError, type EventTime } from '../../runtime/api/index.js';

/** A snapshot marker read on one partition: the source finished copying the topic's collection. */
export interface SnapshotMark {
  readonly topic: string;
  readonly partition: number;
  readonly partitions: number;
  readonly start: EventTime;
  readonly kind: 'order' | 'customer';
}

/** `snapshot.sweep.topics`: topic -> kind of its rows. */
export function parseSweepTopics(text: string): Map<string, 'order' | 'customer'> {
  const kinds = new Map<string, 'order' | 'customer'>();
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf(':');
    const topic = pair.slice(0, at).trim();
    const kind = pair.slice(at + 1).trim();
    if (at <= 0 || (kind !== 'order' && kind !== 'customer')) {
      throw new ConfigError([{ key: 'snapshot.sweep.topics', message: `"${pair}" is not <topic>:order or <topic>:customer` }]);
    }
    kinds.set(topic, kind);
  }
  return kinds;
}

export interface SweepTables {
  readonly snapshots: string;
  readonly sweeps: string;
  readonly orders: string;
  readonly items: string;
  readonly customers: string;
  /** Plain names, as the sweeps table records them. */
  readonly ordersName: string;
  readonly customersName: string;
}

/**
 * Records the marks inside the flush's transaction (after its rows), and sweeps each snapshot
 * whose marks now cover every partition of its topic: the rows of its kind still older than its
 * start are deleted, with their items. An advisory lock per topic makes the last two partitions'
 * flushes, on two connections, see each other's mark; the sweeps row makes it happen once.
 * Returns the rows deleted per topic swept.
 */
export async function recordSnapshots(client: pg.ClientBase, connector: string, t: SweepTables, marks: readonly SnapshotMark[]): Promise<Map<string, number>> {
  const swept = new Map<string, number>();
  for (const m of marks) {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`conflux-snapshot:${connector}:${m.topic}`]);
    await client.query(
      `INSERT INTO ${t.snapshots} (connector, topic, start_ms, start_seq, partition, partitions)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [connector, m.topic, m.start.ms, m.start.seq, m.partition, m.partitions],
    );
    const { rows } = await client.query<{ marked: number }>(
      `SELECT count(*)::int AS marked FROM ${t.snapshots} WHERE connector = $1 AND topic = $2 AND start_ms = $3 AND start_seq = $4`,
      [connector, m.topic, m.start.ms, m.start.seq],
    );
    if ((rows[0]?.marked ?? 0) < m.partitions) continue;
    const target = m.kind === 'order' ? t.ordersName : t.customersName;
    const claimed = await client.query(
      `INSERT INTO ${t.sweeps} (connector, topic, start_ms, start_seq, target_table, rows_deleted)
       VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT DO NOTHING RETURNING 1`,
      [connector, m.topic, m.start.ms, m.start.seq, target],
    );
    if (claimed.rowCount === 0) continue;
    const deleted = await sweep(client, t, m);
    await client.query(`UPDATE ${t.sweeps} SET rows_deleted = $5 WHERE connector = $1 AND topic = $2 AND start_ms = $3 AND start_seq = $4`, [
      connector,
      m.topic,
      m.start.ms,
      m.start.seq,
      deleted,
    ]);
    swept.set(m.topic, deleted);
  }
  return swept;
}

/** Deletes the rows of the mark's kind whose position is older than the snapshot's start. */
async function sweep(client: pg.ClientBase, t: SweepTables, m: SnapshotMark): Promise<number> {
  const older = '(source_ts_ms, source_seq) < ($1::bigint, $2::bigint)';
  if (m.kind === 'customer') {
    const { rowCount } = await client.query(`DELETE FROM ${t.customers} WHERE ${older}`, [m.start.ms, m.start.seq]);
    return rowCount ?? 0;
  }
  const { rows } = await client.query<{ n: number }>(
    `WITH gone AS (DELETE FROM ${t.orders} WHERE ${older} RETURNING order_id),
          items AS (DELETE FROM ${t.items} i USING gone WHERE i.order_id = gone.order_id)
     SELECT count(*)::int AS n FROM gone`,
    [m.start.ms, m.start.seq],
  );
  return rows[0]?.n ?? 0;
}
