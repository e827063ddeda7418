import type { SnapshotInfo } from '../api/index.js';
import { BadRequestError } from '../errors.js';
import { DLQ_HEADER } from '../tasks/dead-letter.js';
import type { Herder } from './herder.js';

/** Most dead letters one replay reads per partition. */
export const REPLAY_SCAN = 100_000;

export interface ReplayQuery {
  readonly rule?: string;
  readonly stage?: string;
}

export interface ReplayResult {
  /** One incremental snapshot per source topic: the current source version of every rejected key. */
  readonly replays: Array<{ topic: string; source: string; collection: string; keys: number; snapshot: SnapshotInfo }>;
  /** Dead letters no source can replay, by topic, with why. */
  readonly skipped: Array<{ topic: string; records: number; reason: string }>;
}

/**
 * Re-drives a sink's dead letters from their source: the keys of the matching records are read
 * again by an incremental snapshot of the source connector that writes their topic, so a record
 * fixed since (its customer now exists, its order corrected) lands, and one still invalid is
 * rejected again with a fresh reason. The snapshot's records carry its id (`conflux.snapshot.id`),
 * and the sink applies them by position like any change: a replay never doubles a row, and
 * replaying twice changes nothing more.
 */
export async function replayDeadLetters(herder: Herder, sink: string, query: ReplayQuery): Promise<ReplayResult> {
  const letters = await herder.deadLetters(sink, { limit: Number.MAX_SAFE_INTEGER, scan: REPLAY_SCAN, ...query });
  const byTopic = new Map<string, Set<string>>();
  const unkeyed = new Map<string, number>();
  for (const r of letters.records) {
    const topic = r.headers[DLQ_HEADER.topic] ?? '';
    if (r.keyText === undefined) unkeyed.set(topic, (unkeyed.get(topic) ?? 0) + 1);
    else byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(r.keyText));
  }
  const result: ReplayResult = {
    replays: [],
    skipped: [...unkeyed].map(([topic, records]) => ({ topic, records, reason: 'no text key to ask the source for' })),
  };
  for (const [topic, keys] of byTopic) {
    const source = await sourceOf(herder, topic);
    if (!source) {
      result.skipped.push({ topic, records: keys.size, reason: 'no source connector with incremental snapshots writes this topic' });
      continue;
    }
    const snapshot = await herder.startSnapshot(source.name, {
      collection: source.collection,
      keys: [...keys],
      reason: `dlq replay of ${sink}${query.rule ? ` (rule ${query.rule})` : ''}`,
    });
    result.replays.push({ topic, source: source.name, collection: source.collection, keys: keys.size, snapshot });
  }
  if (result.replays.length === 0 && result.skipped.length === 0)
    throw new BadRequestError(`connector ${sink} has no dead letters${query.rule ? ` of rule ${query.rule}` : ''} to replay`);
  return result;
}

async function sourceOf(herder: Herder, topic: string): Promise<{ name: string; collection: string } | undefined> {
  for (const name of herder.connectorNames()) {
    const v = await herder.validate(herder.config(name)).catch(() => undefined);
    if (v?.definition.type !== 'source' || !v.definition.snapshots) continue;
    const collection = v.definition.snapshots.collectionOf(v.config, topic);
    if (collection) return { name, collection };
  }
  return undefined;
}
