import { Timestamp } from 'mongodb';
import { compareEventTime, type EventTime, type StoredOffset } from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson } from './bson.js';
import { tokenClusterTime } from './resume-token.js';

type Partition = StoredOffset['partition'];
type Offset = StoredOffset['offset'];

/** Where a task's partition continues: its stored offset, or one inherited from the shares it replaces. */
export interface StartingOffset {
  readonly offset: Offset | undefined;
  /** Set when inherited: the task count whose shares' oldest position it continues from. */
  readonly inheritedFrom?: number;
}

/** The stream position an offset continues at (a running copy: the position noted before it), as a cluster time. */
export function offsetTime(offset: Offset): EventTime | undefined {
  const copying = offset.snapshot === 'running';
  const token = copying ? offset.stream_resume_token : offset.resume_token;
  const at = copying ? offset.stream_start_at : offset.start_at;
  if (typeof token === 'string') return tokenClusterTime(fromExtendedJson(token));
  if (typeof at === 'string') {
    const ts = fromExtendedJson(at) as Timestamp;
    return ts instanceof Timestamp ? { ms: ts.high * 1000, seq: ts.low } : undefined;
  }
  return undefined;
}

/** The share count of a partition (`share: "i/N"`; 1 without one) and its index, or undefined if malformed. */
function shareOf(partition: Partition): { index: number; count: number } | undefined {
  if (partition.share === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(String(partition.share));
  return m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
}

/** The stored positions of one task count's shares of a collection. */
interface Generation {
  readonly count: number;
  readonly members: Map<number, { offset: Offset; time: EventTime }>;
}

const complete = (g: Generation) => g.members.size === g.count;

function oldest(g: Generation): { offset: Offset; time: EventTime } {
  return [...g.members.values()].reduce((a, b) => (compareEventTime(b.time, a.time) < 0 ? b : a));
}

/**
 * The offset a task's partition of a collection starts from. After `tasks.max` changed, a share
 * has no offset of its own (its partition names the new count): it continues from the oldest
 * position of the newest complete generation of shares it replaces, since each of the new
 * share's documents was followed by one of them; the changes between that position and the
 * others' are read again, which the sink's position-ordered merge makes harmless. A share keeps
 * its own offset unless another task count's complete generation is newer than it (its count was
 * used before and replaced since): that offset is stale.
 */
export function startingOffset(stored: readonly StoredOffset[], partition: Partition): StartingOffset {
  const own = shareOf(partition);
  const generations = new Map<number, Generation>();
  let ownEntry: { offset: Offset; time: EventTime | undefined } | undefined;
  for (const entry of stored) {
    if (entry.partition.db !== partition.db || entry.partition.collection !== partition.collection) continue;
    const share = shareOf(entry.partition);
    if (!share) continue;
    const time = offsetTime(entry.offset);
    if (own && share.count === own.count && share.index === own.index) ownEntry = { offset: entry.offset, time };
    if (!time) continue;
    const g = generations.get(share.count) ?? { count: share.count, members: new Map() };
    g.members.set(share.index, { offset: entry.offset, time });
    generations.set(share.count, g);
  }
  if (!own) return { offset: ownEntry?.offset };
  let newest: Generation | undefined;
  for (const g of generations.values()) {
    if (g.count === own.count || !complete(g)) continue;
    if (!newest || compareEventTime(oldest(g).time, oldest(newest).time) > 0) newest = g;
  }
  if (!newest) return { offset: ownEntry?.offset };
  const replaced = oldest(newest).time;
  const current = generations.get(own.count);
  // This count's generation, or this share alone while its siblings have stored nothing yet,
  // is at least as new as the replaced one: the share's own offset holds.
  const ownTime = current && complete(current) ? oldest(current).time : ownEntry?.time;
  if (ownEntry && ownTime && compareEventTime(ownTime, replaced) >= 0) return { offset: ownEntry.offset };
  return { offset: inherit(newest), inheritedFrom: newest.count };
}

/**
 * The oldest position of a generation as this share's offset: streaming from there, or, if any
 * of its shares was still copying, copying again from the start (the copy was not complete for
 * every document of this share) and then streaming from the oldest position noted before.
 */
function inherit(g: Generation): Offset {
  const from = oldest(g);
  const at = extendedJson(new Timestamp({ t: Math.floor(from.time.ms / 1000), i: from.time.seq }));
  const copying = [...g.members.values()].some((m) => m.offset.snapshot === 'running');
  if (!copying) return { start_at: at };
  return { snapshot: 'running', copied: 0, cluster_time_ms: from.time.ms, cluster_time_seq: from.time.seq, stream_start_at: at };
}
