import { Timestamp, type ChangeStream, type ChangeStreamDocument, type ChangeStreamOptions, type Collection, type Db, type Document } from 'mongodb';
import {
  FatalError,
  snapshotCompleteRecord,
  compareEventTime,
  documentKey,
  positionRecord,
  watermarkRecord,
  type EventTime,
  type Logger,
  type SourceRecord,
} from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson } from './bson.js';
import type { MongoSourceTaskConfig } from './config.js';
import type { RecordShape } from './events.js';
import { afterId } from './id-order.js';
import { FragmentAssembler, OVERSIZE_FIELD, checkSplitSupported, findOversized, isTooLarge, oversizeStages } from './oversize.js';
import { tokenClusterTime } from './resume-token.js';
import { shareMatch } from './shares.js';
import { clusterEventTime, readChunk } from './snapshot-chunk.js';
import type { SourceMetrics } from './source-metrics.js';

/** Where a change stream starts: after a resume token, or at a cluster time (both canonical Extended JSON). */
type StreamStart = { readonly resume_token: string } | { readonly start_at: string };

interface Snapshot {
  /** `{v: <last copied _id>}` as canonical Extended JSON, null before the first document. */
  lastId: string | null;
  copied: number;
  total: number;
  /** The stream position noted before the copy: streaming continues there, so nothing is missed. */
  readonly start: StreamStart;
  /**
   * The noted stream position's cluster time: the `cluster_time_ms` (and event time) of the copy's
   * records. Every copy holds at least the writes up to it, so dating the copy there orders it
   * before every change the stream delivers after it; a copy dated later could hide one.
   */
  readonly clusterTime: EventTime;
}

/** MongoDB's error for a resume point that has left the oplog (manual: "Change Streams", resumability). */
const HISTORY_LOST = 286;
/**
 * Copies in a row whose noted stream position had left the oplog by the time the copy ended: each
 * copy outlasted the history, so copying again cannot catch up. After this many the task fails.
 */
export const MAX_COPIES_OUTLASTING_HISTORY = 3;
const isHistoryLost = (err: unknown) =>
  (err as { code?: number })?.code === HISTORY_LOST || (err as { codeName?: string })?.codeName === 'ChangeStreamHistoryLost';

/** The time a running snapshot's records are dated with, as its offset stores it. */
function snapshotTime(t: EventTime): { cluster_time_ms: number; cluster_time_seq: number } {
  return { cluster_time_ms: t.ms, cluster_time_seq: t.seq };
}

/** The noted stream position as a running snapshot's offset stores it. */
function snapshotStart(start: StreamStart): { stream_resume_token: string } | { stream_start_at: string } {
  return 'resume_token' in start ? { stream_resume_token: start.resume_token } : { stream_start_at: start.start_at };
}

export interface ReaderContext {
  readonly connector: string;
  readonly collection: Collection;
  readonly shape: RecordShape;
  readonly config: MongoSourceTaskConfig;
  readonly logger: Logger;
  readonly metrics: SourceMetrics;
  /** The collection's database, for the snapshot's queries. */
  readonly db: Db;
  /** The change stream's maxAwaitTimeMS (poll.await.time.ms): the task waits on its collections at once. */
  readonly awaitTimeMs: number;
}

/**
 * One source partition: a collection (or this task's share of it), first copied if needed, then
 * followed through its change stream. Every record carries the position to resume after it.
 */
export class CollectionReader {
  private stream: ChangeStream | undefined;
  private snapshot: Snapshot | undefined;
  /** The last position handed to the runtime (token as Extended JSON). */
  private lastToken = '';
  private lastPositionAt = Date.now();
  private pending: SourceRecord | undefined;
  /** Set when streaming starts at the position noted before a copy, until the server accepted it. */
  private streamAfterCopy = false;
  /** Consecutive copies whose noted position was gone when they ended. */
  private copiesOutlastingHistory = 0;
  /** Cluster time (or, for heartbeats, wall time) of the last position handed to the runtime, ms. */
  positionTimeMs = Date.now();
  /** The last watermark written for the collection's topic, and when. */
  private lastWatermark: EventTime | undefined;
  private lastWatermarkAt = 0;
  /** Where the open stream would resume now: its start, then each event's token. */
  private resumePoint: StreamStart | undefined;
  /** The fragments of a split event read so far (cursor.oversize.handling.mode=split). */
  private readonly fragments = new FragmentAssembler();

  constructor(private readonly c: ReaderContext) {}

  get collectionName(): string {
    return this.c.shape.collection;
  }

  get shape(): RecordShape {
    return this.c.shape;
  }

  get partition(): Readonly<Record<string, unknown>> {
    return this.c.shape.sourcePartition;
  }

  get snapshotProgress(): { copied: number; total: number } | undefined {
    return this.snapshot && { copied: this.snapshot.copied, total: this.snapshot.total };
  }

  /** The collection (and share) for messages and the task's progress: `shop.orders (share 1 of 3)`. */
  get name(): string {
    const share = this.c.config.share;
    return `${this.c.shape.db}.${this.c.shape.collection}${share ? ` (share ${share.index} of ${share.count})` : ''}`;
  }

  /**
   * Positions the reader from its stored offset, or from `startup.mode` when there is none. An
   * offset `inherited` from replaced shares is stored at once as this partition's own, so a
   * restart continues from it whatever the other shares store meanwhile.
   */
  async open(stored: Readonly<Record<string, unknown>> | undefined, inherited = false): Promise<void> {
    if (this.c.config.oversizeMode === 'split') await checkSplitSupported(this.c.collection);
    if (stored && inherited) this.pending = positionRecord(this.partition, stored);
    if (stored?.snapshot === 'running') {
      const start =
        stored.stream_resume_token !== undefined ? { resume_token: String(stored.stream_resume_token) } : { start_at: String(stored.stream_start_at) };
      this.snapshot = {
        lastId: typeof stored.last_id === 'string' ? stored.last_id : null,
        copied: Number(stored.copied ?? 0),
        total: await this.estimateTotal(),
        start,
        clusterTime: { ms: Number(stored.cluster_time_ms ?? 0), seq: Number(stored.cluster_time_seq ?? 0) },
      };
      this.c.logger.info(`resuming the snapshot of ${this.name} after ${this.snapshot.copied} documents`, {
        copied: this.snapshot.copied,
        total: this.snapshot.total,
      });
      return;
    }
    if (typeof stored?.resume_token === 'string') return this.openStream({ resume_token: stored.resume_token });
    if (typeof stored?.start_at === 'string') return this.openStream({ start_at: stored.start_at });
    switch (this.c.config.startupMode) {
      case 'snapshot_then_stream':
        return this.beginSnapshot();
      case 'timestamp': {
        const ms = this.c.config.startupTimestampMs ?? 0;
        return this.openStream({ start_at: extendedJson(new Timestamp({ t: Math.floor(ms / 1000), i: 0 })) });
      }
      case 'stream': {
        const start = await this.notePosition();
        // Stored at once, so that a restart before the first change still starts from here.
        this.pending = positionRecord(this.partition, start);
        return this.openStream(start);
      }
    }
  }

  /** Appends up to `room` records to `out`: a snapshot chunk, or the change events available now. */
  async read(out: SourceRecord[], room: number): Promise<void> {
    if (room <= 0) return;
    if (this.pending) {
      out.push(this.pending);
      this.pending = undefined;
    }
    if (this.snapshot) return this.readSnapshot(this.snapshot, out, room);
    try {
      await this.readStream(out, room);
    } catch (err) {
      if (isTooLarge(err)) throw await this.tooLarge(err);
      if (!isHistoryLost(err)) throw err;
      await this.historyLost();
    }
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    this.fragments.reset();
    await stream?.close().catch(() => undefined);
  }

  /** The share's $match and the configured stages: what selects the events. */
  private selection(): Document[] {
    const share = this.c.config.share;
    return [...(share ? [shareMatch(share, '$documentKey._id')] : []), ...this.c.config.pipeline];
  }

  private pipeline(): Document[] {
    return [...this.selection(), ...oversizeStages(this.c.config.oversizeMode, this.c.config.oversizeSkipThreshold)];
  }

  /** The stream's options, starting at `start` when given. */
  private streamOptions(start?: StreamStart): ChangeStreamOptions {
    const options: ChangeStreamOptions = {
      fullDocument: this.c.config.fullDocument,
      batchSize: this.c.config.maxBatchSize,
      maxAwaitTimeMS: this.c.awaitTimeMs,
    };
    // startAfter rather than resumeAfter: it also resumes after an invalidate event.
    if (start && 'resume_token' in start) options.startAfter = fromExtendedJson(start.resume_token) as Document;
    else if (start) options.startAtOperationTime = fromExtendedJson(start.start_at) as Timestamp;
    return options;
  }

  /**
   * The stream position as of now, noted before a copy so the stream continues exactly where the
   * copy began: the postBatchResumeToken of a new stream's first (empty) batch, or, if a change
   * already arrived in it, that change's cluster time (startAtOperationTime includes it).
   */
  private async notePosition(): Promise<StreamStart> {
    // A history shorter than the time between the probe's first two requests loses the position
    // at once; noting it again is all there is to do (a few times, then the error stands).
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.probePosition();
      } catch (err) {
        if (!isHistoryLost(err) || attempt >= 3) throw err;
      }
    }
  }

  private async probePosition(): Promise<StreamStart> {
    const probe = this.c.collection.watch(this.pipeline(), { ...this.streamOptions(), batchSize: 1 });
    try {
      const first = await probe.tryNext();
      if (first) return { start_at: extendedJson((first as { clusterTime: Timestamp }).clusterTime) };
      if (!probe.resumeToken) throw new Error(`the change stream of ${this.name} reported no position`);
      return { resume_token: extendedJson(probe.resumeToken) };
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  /** The cluster time of a noted stream position (see Snapshot.clusterTime). */
  private startTime(start: StreamStart): EventTime {
    const time =
      'resume_token' in start ? tokenClusterTime(fromExtendedJson(start.resume_token)) : clusterEventTime(fromExtendedJson(start.start_at) as Timestamp);
    if (!time)
      throw new FatalError(`cannot date the snapshot of ${this.name}: the change stream's resume token holds no cluster time (${JSON.stringify(start)})`);
    return time;
  }

  private async estimateTotal(): Promise<number> {
    const all = await this.c.collection.estimatedDocumentCount();
    return Math.ceil(all / (this.c.config.share?.count ?? 1));
  }

  private async beginSnapshot(): Promise<void> {
    await this.close();
    const start = await this.notePosition();
    const clusterTime = this.startTime(start);
    this.snapshot = { lastId: null, copied: 0, total: await this.estimateTotal(), start, clusterTime };
    // Handed over before the first copied document: the runtime stores a new partition's first
    // position before it sends what follows, so a crash during the copy resumes it from this
    // stream position instead of noting a later one (changes in between would be lost).
    this.pending = positionRecord(this.partition, { snapshot: 'running', copied: 0, ...snapshotTime(clusterTime), ...snapshotStart(start) });
    this.c.metrics.snapshotsStarted.inc();
    this.c.logger.info(`snapshot of ${this.name} started, about ${this.snapshot.total} documents`, { total: this.snapshot.total });
  }

  private async readSnapshot(s: Snapshot, out: SourceRecord[], room: number): Promise<void> {
    const limit = Math.min(room, this.c.config.snapshotChunkSize);
    const after: Document = s.lastId === null ? {} : afterId((fromExtendedJson(s.lastId) as { v: unknown }).v);
    const { docs, readTime } = await readChunk(this.c.db, this.c.collection.collectionName, this.c.config, after, limit);
    if (docs.length === 0) {
      this.snapshot = undefined;
      this.c.logger.info(`snapshot of ${this.name} done: ${s.copied} documents copied; streaming from the position noted before the copy`, {
        copied: s.copied,
      });
      await this.openStream(s.start);
      this.streamAfterCopy = true;
      // After every copied record: a sink that reads it on every partition has the whole copy, and
      // may delete rows older than its start (snapshot-marker.ts). A share copies only part of the
      // collection, so its end proves nothing about the rest: shares write no marker.
      if (!this.c.config.share) out.push(snapshotCompleteRecord(this.c.shape.topic, s.clusterTime, { ms: s.clusterTime.ms - 1, seq: 0 }));
      // Stores the switch, so that a restart does not look for more documents to copy.
      out.push(positionRecord(this.partition, s.start));
      this.lastPositionAt = Date.now();
      return;
    }
    const start = snapshotStart(s.start);
    for (const doc of docs) {
      s.copied += 1;
      s.lastId = extendedJson({ v: doc._id });
      out.push(
        this.c.shape.snapshotRecord(doc, s.clusterTime, readTime, {
          snapshot: 'running',
          last_id: s.lastId,
          copied: s.copied,
          ...snapshotTime(s.clusterTime),
          ...start,
        }),
      );
    }
    this.c.metrics.snapshotCopied.inc(docs.length);
    this.snapshotWatermark(out, s);
    this.positionTimeMs = Date.now();
    this.lastPositionAt = Date.now();
  }

  private async openStream(start: StreamStart): Promise<void> {
    await this.close();
    this.resumePoint = start;
    const options = this.streamOptions(start);
    if ('resume_token' in start) this.lastToken = start.resume_token;
    this.stream = this.c.collection.watch(this.pipeline(), options);
  }

  private async readStream(out: SourceRecord[], room: number): Promise<void> {
    const stream = this.stream!;
    let idle = false;
    while (room > 0) {
      const read = (await stream.tryNext()) as ChangeStreamDocument | null;
      // The server accepted the position the copy noted: the copy caught up with the history.
      if (this.streamAfterCopy) {
        this.streamAfterCopy = false;
        this.copiesOutlastingHistory = 0;
      }
      if (read === null) {
        idle = true;
        break;
      }
      // The fragments of a split event are one change: nothing is handed over before its last.
      const event = this.fragments.add(read) as ChangeStreamDocument | undefined;
      if (!event) continue;
      if (event !== read) this.c.metrics.splitEvents.inc();
      const token = extendedJson(event._id);
      const offset = { resume_token: token };
      this.resumePoint = offset;
      this.lastToken = token;
      this.lastPositionAt = Date.now();
      const clusterTime = (event as { clusterTime?: Timestamp }).clusterTime;
      this.positionTimeMs = clusterTime ? clusterTime.high * 1000 : Date.now();
      const oversize = (event as { [OVERSIZE_FIELD]?: number })[OVERSIZE_FIELD];
      if (oversize !== undefined) {
        out.push(this.c.shape.skippedRecord(event, offset, oversize));
        this.c.metrics.oversizeSkipped.inc();
        room -= 1;
        continue;
      }
      const record = this.c.shape.changeRecord(event, token, offset);
      if (record) {
        out.push(record);
        room -= 1;
        if (event.operationType === 'delete' && this.c.config.tombstonesOnDelete) {
          out.push(this.c.shape.tombstone(record));
          room -= 1;
        }
        // A getMore returns as soon as changes exist, so asking again once the batch is drained
        // would hold these changes back until the next one arrives: on a steady stream, until the
        // poll is full.
        if (stream.bufferedCount() === 0) break;
        continue;
      }
      // An event about the collection itself (drop, rename, invalidate...): nothing to write, but
      // the position moves past it.
      out.push(positionRecord(this.partition, offset));
      this.c.logger.warn(`${event.operationType} event on ${this.name}`, { operationType: event.operationType });
      if (event.operationType === 'invalidate') {
        // The collection was dropped, renamed away or replaced ($out): what it holds now (maybe
        // nothing) is copied, and the copy's marker lets a sink delete the rows it no longer has.
        this.c.logger.warn(`the change stream of ${this.name} was invalidated (drop, rename or $out): copying the collection again`);
        await this.beginSnapshot();
        return;
      }
    }
    // Mid-event, the cursor's position is a fragment's: neither a position to store nor a watermark.
    if (this.fragments.incomplete) return;
    if (idle) this.heartbeat(out, stream);
    if (stream.bufferedCount() === 0) this.watermark(out, stream);
  }

  /**
   * The task's error for a change event over MongoDB's limit, naming the event when a second
   * stream from the same position can find it.
   */
  private async tooLarge(err: unknown): Promise<FatalError> {
    await this.close();
    const mode = this.c.config.oversizeMode;
    const found = this.resumePoint ? await findOversized(this.c.collection, this.selection(), this.streamOptions(this.resumePoint)) : undefined;
    const time = found?.clusterTime ? ` at cluster time ${found.clusterTime.high}.${found.clusterTime.low}` : '';
    const which = found
      ? `the ${found.operationType} event of _id ${documentKey(found.id)}${time} carries ${found.bytes} bytes of document and update description`
      : 'a change event';
    const fix =
      mode === 'fail'
        ? 'Set cursor.oversize.handling.mode=skip to dead-letter such events and go on, or split (MongoDB 6.0.9+ or 7.0+) to receive them in fragments; or keep documents well under 16 MB (with full.document=updateLookup an update event carries the whole document and its update description).'
        : mode === 'skip'
          ? `cursor.oversize.skip.threshold (${this.c.config.oversizeSkipThreshold}) lets it through: lower it.`
          : 'Split cannot deliver it either (one of its top-level fields alone is over 16 MB): use cursor.oversize.handling.mode=skip.';
    return new FatalError(
      `${which} in ${this.name} is over MongoDB's 16 MB limit for a change event (BSONObjectTooLarge, code 10334), so the stream cannot get past it and a restart reaches it again (cursor.oversize.handling.mode=${mode}). ${fix}`,
      { cause: err },
    );
  }

  /**
   * Once the cursor's batch is drained, every change up to its postBatchResumeToken has been
   * returned, so the topic gets that position as its watermark.
   */
  private watermark(out: SourceRecord[], stream: ChangeStream): void {
    const time = tokenClusterTime(stream.resumeToken);
    if (time) this.publishWatermark(out, time);
  }

  /**
   * While copying, the topic's watermark stays just below the snapshot's start, which every copy
   * is dated at: it promises nothing about the collection, yet tells a join that the source is
   * alive and publishes watermarks, so a key it misses is waited for until the copy is complete.
   */
  private snapshotWatermark(out: SourceRecord[], s: Snapshot): void {
    this.publishWatermark(out, { ms: s.clusterTime.ms - 1, seq: 0 });
  }

  /** At most every watermark.interval.ms, and again every heartbeat.interval.ms while it does not move. */
  private publishWatermark(out: SourceRecord[], time: EventTime): void {
    const interval = this.c.config.watermarkIntervalMs;
    if (interval <= 0) return;
    const now = Date.now();
    if (now - this.lastWatermarkAt < interval) return;
    const moved = !this.lastWatermark || compareEventTime(time, this.lastWatermark) > 0;
    if (!moved && now - this.lastWatermarkAt < Math.max(interval, this.c.config.heartbeatIntervalMs)) return;
    this.lastWatermark = time;
    this.lastWatermarkAt = now;
    out.push(watermarkRecord(this.c.shape.topic, time));
  }

  /**
   * On a quiet stream, moves the stored position to the cursor's postBatchResumeToken (what the
   * driver's `resumeToken` holds once a batch is drained), at most every heartbeat.interval.ms.
   */
  private heartbeat(out: SourceRecord[], stream: ChangeStream): void {
    const interval = this.c.config.heartbeatIntervalMs;
    const now = Date.now();
    if (interval <= 0 || now - this.lastPositionAt < interval) return;
    this.lastPositionAt = now;
    const token = stream.resumeToken;
    if (!token) return;
    this.positionTimeMs = now;
    const text = extendedJson(token);
    if (text === this.lastToken) return;
    this.lastToken = text;
    out.push(positionRecord(this.partition, { resume_token: text }));
    this.c.metrics.heartbeats.inc();
  }

  private async historyLost(): Promise<void> {
    await this.close();
    if (this.c.config.tokenLostPolicy === 'fail') {
      throw new FatalError(
        `the stored change stream position of ${this.name} is no longer in the oplog (ChangeStreamHistoryLost, code 286), so the changes since then cannot be read. ` +
          `To recover, set token.lost.policy=resnapshot (the collection is copied again, then streamed), or stop the connector, reset its offsets with DELETE /connectors/${this.c.connector}/offsets and resume it.`,
      );
    }
    if (this.streamAfterCopy) {
      this.streamAfterCopy = false;
      this.copiesOutlastingHistory += 1;
      if (this.copiesOutlastingHistory >= MAX_COPIES_OUTLASTING_HISTORY) {
        throw new FatalError(
          `${this.name} was copied ${this.copiesOutlastingHistory} times in a row (token.lost.policy=resnapshot), and each time the stream position noted before the copy had left the oplog before the copy ended (ChangeStreamHistoryLost, code 286): the copy takes longer than the oplog keeps history, so copying again cannot catch up. ` +
            'To recover, keep more history (a larger oplog: replSetResizeOplog, or a minimum retention with oplogMinRetentionHours) or make the copy faster (a larger snapshot.chunk.size, more tasks.max), then restart the task.',
        );
      }
    }
    this.c.logger.warn(
      `the change stream position of ${this.name} is no longer in the oplog (ChangeStreamHistoryLost); token.lost.policy=resnapshot: copying the collection again`,
    );
    this.c.metrics.tokenLostResnapshots.inc();
    await this.beginSnapshot();
  }
}
