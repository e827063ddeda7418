import type { SinkRecord } from '../../runtime/api/index.js';
import type { CustomerChange, OrderChange, RejectedChange } from './records.js';

/** One buffered change with its source position: cluster time, its order within the second, then Kafka offset. */
export interface Positioned<C> {
  readonly change: C;
  readonly offset: bigint;
  /** `<topic>\0<partition>`: a revoked partition's changes are dropped. */
  readonly tp: string;
  /** The record it came from, to report it when the warehouse refuses it. */
  readonly record: SinkRecord;
}

export type Buffered = OrderChange | CustomerChange | RejectedChange;

/** True when `a` is at a later source position than `b`. */
export function later(a: Positioned<Buffered>, b: Positioned<Buffered>): boolean {
  const ca = a.change;
  const cb = b.change;
  if (ca.source_ts_ms !== cb.source_ts_ms) return ca.source_ts_ms > cb.source_ts_ms;
  const sa = ca.source_seq ?? 0;
  const sb = cb.source_seq ?? 0;
  if (sa !== sb) return sa > sb;
  return a.offset > b.offset;
}

export interface BufferModes {
  readonly mode: 'upsert' | 'insert';
  readonly deletes: boolean;
  /** rejected.version.policy: `delete` treats a rejected version as a delete; `keep` marks the row the older version left. */
  readonly rejected: 'delete' | 'keep';
}

/**
 * The changes of one table kind buffered between two flushes, reduced per document so that the
 * warehouse ends the same whether the changes come in one flush or in one flush each:
 * - `upsert`: the latest change (upsert, delete or rejected version) wins.
 * - `insert` (append only): a row once written is kept until a delete. Per document the buffer
 *   keeps its latest delete and the first upsert after it; the merge applies the delete first.
 * - `delete.enabled=false`: deletes are not buffered at all, as if they never happened.
 * - `rejected.version.policy=keep`: a rejected version marks the document's row; the version it
 *   leaves in place (the latest upsert before it) is kept beside it, and a newer upsert clears it.
 */
export class ChangeBuffer<C extends Buffered> {
  private readonly latest = new Map<string, Positioned<C>>();
  /** insert mode: the first upsert after the latest delete, per document. */
  private readonly firstUpsert = new Map<string, Positioned<C>>();
  /** rejected.version.policy=keep: the latest rejected version, per document, newer than its upsert. */
  private readonly marks = new Map<string, Positioned<C>>();

  constructor(private readonly modes: BufferModes) {}

  get size(): number {
    return this.latest.size + this.firstUpsert.size + this.marks.size;
  }

  add(entry: Positioned<C>): void {
    const c = entry.change;
    if (c.op === 'delete' && !this.modes.deletes) return;
    if (c.op === 'reject' && this.modes.rejected === 'keep') {
      const mark = this.marks.get(c.id);
      const current = this.latest.get(c.id);
      if ((!mark || later(entry, mark)) && (!current || later(entry, current))) this.marks.set(c.id, entry);
      return;
    }
    const mark = this.marks.get(c.id);
    if (mark && later(entry, mark)) this.marks.delete(c.id);
    const previous = this.latest.get(c.id);
    if (this.modes.mode === 'upsert' || c.op !== 'upsert') {
      if (previous && !later(entry, previous)) return;
      this.latest.set(c.id, entry);
      // An upsert queued after an older delete loses to a newer delete or rejection.
      if (c.op !== 'upsert') this.firstUpsert.delete(c.id);
      return;
    }
    // insert mode, an upsert: the first one since the latest delete is kept, later ones change nothing.
    if (!previous) {
      this.latest.set(c.id, entry);
      return;
    }
    if (previous.change.op === 'upsert') {
      if (later(previous, entry)) this.latest.set(c.id, entry);
      return;
    }
    if (!later(entry, previous)) return;
    const queued = this.firstUpsert.get(c.id);
    if (!queued || later(queued, entry)) this.firstUpsert.set(c.id, entry);
  }

  /** Every change to write: deletes, rejections and marks with the upserts that precede or follow them (the merge orders them). */
  changes(): Array<Positioned<C>> {
    return [...this.latest.values(), ...this.firstUpsert.values(), ...this.marks.values()];
  }

  /** Drops the changes of revoked partitions. */
  dropPartitions(revoked: ReadonlySet<string>): void {
    for (const map of [this.latest, this.firstUpsert, this.marks]) for (const [id, e] of map) if (revoked.has(e.tp)) map.delete(id);
  }

  clear(): void {
    this.latest.clear();
    this.firstUpsert.clear();
    this.marks.clear();
  }
}
