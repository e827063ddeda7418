import { Long, ReadPreference, type Db, type Document, type Timestamp } from 'mongodb';
import type { EventTime } from '../../runtime/api/index.js';
import type { MongoSourceTaskConfig } from './config.js';
import { shareMatch } from './shares.js';

/** One snapshot query's documents, and the cluster time the server read them at. */
export interface Chunk {
  readonly docs: Document[];
  /**
   * The reply's operationTime (manual: "Causal Consistency", every replica set reply carries it):
   * the read saw every write up to it, so whatever the documents refer to existed by then.
   * Undefined from a server that reports none.
   */
  readonly readTime: EventTime | undefined;
}

/** A cluster time as an event time, with stream events' unit and flooring (seconds as ms, increment as seq). */
export function clusterEventTime(ts: Timestamp): EventTime {
  return { ms: ts.high * 1000, seq: ts.low };
}

/**
 * Up to `limit` documents after `after` in `_id` order (a complete resume point), read with the
 * snapshot's read concern and preference. The commands are run as such rather than through a
 * cursor, because only the reply says at what cluster time the server read.
 */
export async function readChunk(
  db: Db,
  collection: string,
  config: Pick<MongoSourceTaskConfig, 'share' | 'snapshotReadConcern' | 'snapshotReadPreference'>,
  after: Document,
  limit: number,
  projection?: Document,
): Promise<Chunk> {
  const readConcern = { level: config.snapshotReadConcern };
  const options = { readPreference: ReadPreference.fromString(config.snapshotReadPreference) };
  const share = config.share;
  // singleBatch: a chunk larger than one reply (16 MB) ends early, and the next chunk starts after it.
  const reply = share
    ? await db.command(
        {
          aggregate: collection,
          pipeline: [{ $match: after }, shareMatch(share, '$_id'), { $sort: { _id: 1 } }, { $limit: limit }, ...(projection ? [{ $project: projection }] : [])],
          cursor: { batchSize: limit },
          readConcern,
        },
        options,
      )
    : await db.command(
        { find: collection, filter: after, sort: { _id: 1 }, limit, batchSize: limit, singleBatch: true, readConcern, ...(projection ? { projection } : {}) },
        options,
      );
  const cursor = reply.cursor as { firstBatch: Document[]; id?: unknown };
  // An aggregate cannot be asked for a single batch: a reply cut at 16 MB leaves its cursor open.
  if (share && cursor.id !== undefined && Number(cursor.id) !== 0) {
    const id = typeof cursor.id === 'number' ? Long.fromNumber(cursor.id) : cursor.id;
    await db.command({ killCursors: collection, cursors: [id] }, options).catch(() => undefined);
  }
  const operationTime = reply.operationTime as Timestamp | undefined;
  return { docs: cursor.firstBatch, readTime: operationTime ? clusterEventTime(operationTime) : undefined };
}
