import type { Collection, ChangeStreamOptions, Document, Timestamp } from 'mongodb';
import { FatalError } from '../../runtime/api/index.js';
import type { OversizeMode } from './config.js';

/**
 * Change events over MongoDB's 16 MB document limit (manual: "$changeStreamSplitLargeEvent"). The
 * server fails the getMore that reaches one with BSONObjectTooLarge, and every resume before it
 * reaches it again, so a policy must get the stream past it: fail names the event, skip has the
 * server empty it (its size measured with $bsonSize, MongoDB 4.4+, before it is built into BSON),
 * split has the server cut it into fragments that {@link FragmentAssembler} puts back together.
 */

/** MongoDB's BSONObjectTooLarge. */
const BSON_OBJECT_TOO_LARGE = 10334;
export const isTooLarge = (err: unknown): boolean =>
  (err as { code?: number })?.code === BSON_OBJECT_TOO_LARGE || (err as { codeName?: string })?.codeName === 'BSONObjectTooLarge';

/** The field an emptied event carries: how many bytes its images and update description had. */
export const OVERSIZE_FIELD = 'conflux_oversize_bytes';
const SIZE_FIELD = '__conflux_event_bytes';
/** MongoDB's largest document (BSONObjMaxUserSize). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;
export const SPLIT_STAGE = '$changeStreamSplitLargeEvent';

const bsonSize = (path: string) => ({ $ifNull: [{ $bsonSize: path }, 0] });

/**
 * Stages that replace an event whose document images and update description exceed `threshold`
 * bytes by its context (token, operation, time, namespace, key) and its size in OVERSIZE_FIELD.
 * User stages run on the event before it is serialized, so the emptied event can be returned.
 */
export function skipStages(threshold: number): Document[] {
  const size = { $add: [bsonSize('$fullDocument'), bsonSize('$fullDocumentBeforeChange'), bsonSize('$updateDescription')] };
  const context = {
    _id: '$_id',
    operationType: '$operationType',
    clusterTime: '$clusterTime',
    ns: '$ns',
    documentKey: '$documentKey',
    [OVERSIZE_FIELD]: `$${SIZE_FIELD}`,
  };
  return [
    { $set: { [SIZE_FIELD]: size } },
    { $replaceWith: { $cond: { if: { $gt: [`$${SIZE_FIELD}`, threshold] }, then: context, else: '$$ROOT' } } },
    { $unset: SIZE_FIELD },
  ];
}

/** The stages the policy appends to the stream's pipeline. */
export function oversizeStages(mode: OversizeMode, skipThreshold: number): Document[] {
  if (mode === 'skip') return skipStages(skipThreshold);
  if (mode === 'split') return [{ [SPLIT_STAGE]: {} }];
  return [];
}

/** $changeStreamSplitLargeEvent is new in MongoDB 7.0 and 6.0.9 (manual). */
export function splitSupported(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  return major >= 7 || (major === 6 && minor === 0 && patch >= 9);
}

/** Refuses split on a server that lacks the stage, before a stream is opened with it. */
export async function checkSplitSupported(collection: Collection): Promise<void> {
  const info = await collection.db.admin().command({ buildInfo: 1 });
  const version = String(info.version ?? '');
  if (!splitSupported(version)) {
    throw new FatalError(
      `cursor.oversize.handling.mode=split needs MongoDB 6.0.9+ or 7.0+ ($changeStreamSplitLargeEvent); this server is ${version || 'of an unknown version'}. Use cursor.oversize.handling.mode=skip or fail.`,
    );
  }
}

interface SplitEvent {
  readonly fragment: number;
  readonly of: number;
}

/**
 * Puts the fragments of a split event back together: the fields of all its fragments, with the
 * last fragment's `_id`, from which resuming starts with the next event. Fragments arrive in
 * order; anything else means the stream lost part of an event, and the task fails.
 */
export class FragmentAssembler {
  private parts: Document[] = [];

  /** True while an event's first fragments arrived and its last did not. */
  get incomplete(): boolean {
    return this.parts.length > 0;
  }

  /** The whole event once its last fragment is in (an unsplit event at once), else undefined. */
  add(event: Document): Document | undefined {
    const split = event.splitEvent as SplitEvent | undefined;
    if (!split) {
      if (this.parts.length > 0) throw this.broken(`an unsplit event arrived after fragment ${this.parts.length}`);
      return event;
    }
    if (split.fragment !== this.parts.length + 1) throw this.broken(`fragment ${split.fragment} of ${split.of} arrived after ${this.parts.length}`);
    this.parts.push(event);
    if (split.fragment < split.of) return undefined;
    const whole: Document = { _id: event._id };
    for (const part of this.parts) {
      for (const [field, value] of Object.entries(part)) if (field !== '_id' && field !== 'splitEvent') whole[field] = value;
    }
    this.parts = [];
    return whole;
  }

  reset(): void {
    this.parts = [];
  }

  private broken(what: string): FatalError {
    this.parts = [];
    return new FatalError(`a split change event lost fragments: ${what}`);
  }
}

export interface OversizedEvent {
  readonly id: unknown;
  readonly operationType: string;
  readonly clusterTime?: Timestamp;
  readonly bytes: number;
}

/**
 * Finds the event a BSONObjectTooLarge was about, for the message: a second stream from the same
 * position, with the skip stages and only emptied events, returns it small enough to read.
 * Undefined when it cannot (a server without $bsonSize, or no such event within the wait).
 */
export async function findOversized(collection: Collection, pipeline: Document[], options: ChangeStreamOptions): Promise<OversizedEvent | undefined> {
  const probe = collection.watch([...pipeline, ...skipStages(MAX_EVENT_BYTES), { $match: { [OVERSIZE_FIELD]: { $exists: true } } }], {
    ...options,
    batchSize: 1,
  });
  try {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const event = (await probe.tryNext()) as Document | null;
      if (!event) continue;
      return {
        id: (event.documentKey as { _id?: unknown } | undefined)?._id,
        operationType: String(event.operationType),
        clusterTime: event.clusterTime as Timestamp | undefined,
        bytes: Number(event[OVERSIZE_FIELD]),
      };
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await probe.close().catch(() => undefined);
  }
}
