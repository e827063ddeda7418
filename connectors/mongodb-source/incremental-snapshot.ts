import type { Db, Document } from 'mongodb';
import { positionRecord, type EventTime, type Logger, type SourceRecord, type StoredOffset } from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson } from './bson.js';
import type { MongoSourceTaskConfig } from './config.js';
import type { RecordShape } from './events.js';
import { afterId } from './id-order.js';
import type { RecordReader } from './reads-in-flight.js';
import { readChunk } from './snapshot-chunk.js';
import { partName, signals, type PartDoc, type SignalDoc } from './snapshot-signals.js';
import type { SourceMetrics } from './source-metrics.js';

/** A snapshot this task reads (its part of it), resumed from its stored offset or new. */
interface Active {
  readonly id: string;
  readonly shape: RecordShape;
  readonly partition: Readonly<Record<string, unknown>>;
  readonly filter: Document;
  /** An ids request: the `_id`s, read in chunks of the list (`index` is how far). */
  readonly ids?: readonly unknown[];
  lastId: string | null;
  index: number;
  documents: number;
  chunks: number;
  total: number | undefined;
  readonly startedAt: Date;
}

export interface IncrementalSnapshotContext {
  readonly connector: string;
  readonly db: Db;
  readonly config: MongoSourceTaskConfig;
  readonly shapes: ReadonlyMap<string, RecordShape>;
  readonly stored: readonly StoredOffset[];
  readonly logger: Logger;
  readonly metrics: SourceMetrics;
}

const ENDED = new Set(['done', 'cancelled', 'failed']);

/**
 * Reads incremental snapshots while the change streams go on: the requests are found in
 * `snapshot.signal.collection`, this task's part (its share) is read in `_id` order one chunk per
 * poll, and every chunk's records are dated by the cluster time the server read them at (the
 * reply's operationTime). A change the stream delivers is then newer than a chunk exactly when it
 * happened after the read, so a sink that applies changes by position (postgres-sink) never lets
 * a chunk overwrite a newer change, nor a change older than the chunk overwrite it. Progress is the
 * offset of the part's own source partition, stored with the records it came with, so a restart
 * resumes after the last acknowledged chunk.
 */
export class IncrementalSnapshotReader implements RecordReader {
  private readonly queue: Active[] = [];
  private readonly ended = new Set<string>();
  private nextCheck = 0;
  private readonly part: string;

  constructor(private readonly c: IncrementalSnapshotContext) {
    this.part = partName(c.config.share);
  }

  /** What this task is reading, for its status. */
  get progress(): Array<{ id: string; collection: string; documents: number; total?: number }> {
    return this.queue.map((a) => ({ id: a.id, collection: a.shape.collection, documents: a.documents, ...(a.total !== undefined ? { total: a.total } : {}) }));
  }

  async read(out: SourceRecord[], room: number): Promise<void> {
    if (Date.now() >= this.nextCheck) {
      await this.refresh(out);
      this.nextCheck = Date.now() + this.c.config.signalIntervalMs;
    }
    const active = this.queue[0];
    if (active && room > 0) await this.readChunk(active, out, Math.min(room, this.c.config.snapshotChunkSize));
  }

  private partitionOf(collection: string, id: string): Readonly<Record<string, unknown>> {
    const share = this.c.config.share;
    return Object.freeze({ db: this.c.config.database, collection, ...(share ? { share: `${share.index}/${share.count}` } : {}), snapshot: id });
  }

  private storedOffset(partition: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | undefined {
    const want = JSON.stringify(Object.entries(partition).sort());
    return this.c.stored.find((s) => JSON.stringify(Object.entries(s.partition).sort()) === want)?.offset;
  }

  /** New, cancelled and resumed requests of this connector. */
  private async refresh(out: SourceRecord[]): Promise<void> {
    // Only requests this part has not ended, without their id lists: this runs every second.
    const coll = signals(this.c.db, this.c.config.signalCollection);
    const docs = await coll
      .find({ connector: this.c.connector, type: 'snapshot', [`parts.${this.part}.state`]: { $nin: [...ENDED] } }, { projection: { ids: 0, parts: 0 } })
      .sort({ requested_at: 1 })
      .toArray();
    const present = new Set(docs.map((d) => d._id));
    for (const a of [...this.queue]) if (!present.has(a.id)) await this.end(a, 'cancelled', out);
    for (const doc of docs) {
      if (this.ended.has(doc._id)) continue;
      const active = this.queue.find((a) => a.id === doc._id);
      if (active) {
        if (doc.cancelled_at) await this.end(active, 'cancelled', out);
        continue;
      }
      const shape = this.c.shapes.get(doc.collection);
      if (!shape) {
        this.ended.add(doc._id);
        continue;
      }
      const partition = this.partitionOf(doc.collection, doc._id);
      const stored = this.storedOffset(partition);
      if (stored && ENDED.has(String(stored.state))) {
        this.ended.add(doc._id);
        continue;
      }
      if (doc.cancelled_at) {
        this.ended.add(doc._id);
        await this.writePart(doc._id, {
          state: 'cancelled',
          documents: Number(stored?.documents ?? 0),
          chunks: Number(stored?.chunks ?? 0),
          started_at: new Date(),
          updated_at: new Date(),
        });
        continue;
      }
      const whole = await coll.findOne({ _id: doc._id });
      if (whole) await this.begin(whole, shape, partition, stored);
    }
  }

  private async begin(
    doc: SignalDoc,
    shape: RecordShape,
    partition: Readonly<Record<string, unknown>>,
    stored: Readonly<Record<string, unknown>> | undefined,
  ): Promise<void> {
    const filter = doc.filter ? (fromExtendedJson(doc.filter) as Document) : {};
    const ids = doc.ids ? (fromExtendedJson(doc.ids) as unknown[]) : undefined;
    const shares = this.c.config.share?.count ?? 1;
    const collection = this.c.db.collection(doc.collection);
    const total = ids
      ? Math.ceil(ids.length / shares)
      : Math.ceil((doc.filter ? await collection.countDocuments(filter) : await collection.estimatedDocumentCount()) / shares);
    const active: Active = {
      id: doc._id,
      shape,
      partition,
      filter,
      ...(ids ? { ids } : {}),
      lastId: typeof stored?.last_id === 'string' ? stored.last_id : null,
      index: Number(stored?.index ?? 0),
      documents: Number(stored?.documents ?? 0),
      chunks: Number(stored?.chunks ?? 0),
      total,
      startedAt: doc.parts?.[this.part]?.started_at ?? new Date(),
    };
    this.queue.push(active);
    const what = ids ? `${ids.length} _ids` : doc.filter ? `the documents matching ${doc.filter}` : 'every document';
    this.c.logger.info(
      `incremental snapshot ${doc._id} of ${this.c.config.database}.${doc.collection} (${this.part}): ${stored ? `resuming after ${active.documents} documents` : `reading ${what}`}`,
      {
        snapshot: doc._id,
        total,
      },
    );
    await this.writeProgress(active, 'running');
  }

  private async readChunk(a: Active, out: SourceRecord[], limit: number): Promise<void> {
    const ids = a.ids?.slice(a.index, a.index + limit);
    const filter: Document = ids
      ? { _id: { $in: ids } }
      : a.lastId === null
        ? a.filter
        : { $and: [a.filter, afterId((fromExtendedJson(a.lastId) as { v: unknown }).v)] };
    if (ids && ids.length === 0) return this.end(a, 'done', out);
    const { docs, readTime } = await readChunk(this.c.db, a.shape.collection, this.c.config, filter, ids ? ids.length : limit);
    if (!readTime) {
      // Without the read's cluster time a chunk cannot be ordered against the stream: reading on
      // could overwrite newer changes. Replica sets and sharded clusters always report it.
      this.c.logger.error(
        `incremental snapshot ${a.id}: the server reported no operationTime for the read; the snapshot stops (it needs a replica set or a sharded cluster)`,
      );
      return this.end(a, 'failed', out, 'the server reports no operationTime');
    }
    if (!ids && docs.length === 0) return this.end(a, 'done', out);
    a.chunks += 1;
    if (ids) a.index += ids.length;
    for (const doc of docs) {
      a.documents += 1;
      if (!ids) a.lastId = extendedJson({ v: doc._id });
      out.push(a.shape.incrementalRecord(doc, readTime, a.partition, this.offset(a), a.id));
    }
    if (ids) await this.deleteMissing(a, ids, docs, readTime, out);
    // A chunk of an ids list can find nothing; its position still moves on.
    if (docs.length === 0) out.push(positionRecord(a.partition, this.offset(a)));
    this.c.metrics.incrementalRead.inc(docs.length);
    await this.writeProgress(a, 'running');
  }

  /**
   * `_id`s of an ids request the collection no longer has become deletes dated by the read that
   * found them absent: a replay or a repair of a deleted document removes its row, by the same
   * path as any delete. With shares, the first share decides (the others cannot see the rest).
   */
  private async deleteMissing(a: Active, ids: readonly unknown[], found: readonly Document[], readTime: EventTime, out: SourceRecord[]): Promise<void> {
    const share = this.c.config.share;
    if (share && share.index !== 0) return;
    let present: Set<string>;
    let absentAt = readTime;
    if (share) {
      const whole = { snapshotReadConcern: this.c.config.snapshotReadConcern, snapshotReadPreference: this.c.config.snapshotReadPreference };
      const { docs, readTime: t } = await readChunk(this.c.db, a.shape.collection, whole, { _id: { $in: ids } }, ids.length, { _id: 1 });
      present = new Set(docs.map((d) => extendedJson(d._id)));
      if (t) absentAt = t;
    } else present = new Set(found.map((d) => extendedJson(d._id)));
    for (const id of ids) {
      if (present.has(extendedJson(id))) continue;
      const deleted = a.shape.incrementalDelete(id, absentAt, a.partition, this.offset(a), a.id);
      out.push(deleted);
      if (this.c.config.tombstonesOnDelete) out.push(a.shape.tombstone(deleted));
    }
  }

  private offset(a: Active, state = 'running'): Record<string, unknown> {
    return {
      snapshot_id: a.id,
      state,
      documents: a.documents,
      chunks: a.chunks,
      ...(a.ids ? { index: a.index } : a.lastId !== null ? { last_id: a.lastId } : {}),
    };
  }

  private async end(a: Active, state: 'done' | 'cancelled' | 'failed', out: SourceRecord[], error?: string): Promise<void> {
    this.queue.splice(this.queue.indexOf(a), 1);
    this.ended.add(a.id);
    // Stored, so that a restart does not read the part again.
    out.push(positionRecord(a.partition, this.offset(a, state)));
    this.c.logger.info(
      `incremental snapshot ${a.id} of ${this.c.config.database}.${a.shape.collection} (${this.part}) ${state}: ${a.documents} documents in ${a.chunks} chunks`,
      {
        snapshot: a.id,
        state,
      },
    );
    await this.writeProgress(a, state, error);
  }

  private writeProgress(a: Active, state: PartDoc['state'], error?: string): Promise<void> {
    return this.writePart(a.id, {
      state,
      documents: a.documents,
      chunks: a.chunks,
      ...(a.total !== undefined ? { total: a.total } : {}),
      started_at: a.startedAt,
      updated_at: new Date(),
      ...(error ? { error } : {}),
    });
  }

  private async writePart(id: string, part: PartDoc): Promise<void> {
    await signals(this.c.db, this.c.config.signalCollection).updateOne({ _id: id }, { $set: { [`parts.${this.part}`]: part } });
  }
}
