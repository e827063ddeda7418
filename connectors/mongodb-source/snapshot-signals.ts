import { BSON, MongoClient, ObjectId, type Collection, type Db, type Document } from 'mongodb';
import { ConfigError, documentIdOf, type SnapshotInfo, type SnapshotPart, type SnapshotRequest, type SnapshotState } from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson } from './bson.js';
import { parseList, type MongoSourceConfig } from './config.js';
import { connectError } from './topology.js';

/** Most `_id`s one request may list; larger repairs are several requests (or a filter). */
export const MAX_SNAPSHOT_IDS = 100_000;

/** One task's progress, as it writes it into the request after each chunk (for display; offsets are what resume). */
export interface PartDoc {
  state: SnapshotState;
  documents: number;
  chunks: number;
  total?: number;
  started_at: Date;
  updated_at: Date;
  error?: string;
}

/**
 * An incremental snapshot request in `snapshot.signal.collection`, where every worker (for the
 * REST API) and every task (to read it) finds it. Filters and ids are kept as canonical Extended
 * JSON strings: a query's `$` operators cannot be field names of a stored document.
 */
export interface SignalDoc {
  _id: string;
  type: 'snapshot';
  connector: string;
  collection: string;
  filter?: string;
  ids?: string;
  reason?: string;
  requested_at: Date;
  cancelled_at?: Date;
  parts?: Record<string, PartDoc>;
}

export const signals = (db: Db, collection: string): Collection<SignalDoc> => db.collection<SignalDoc>(collection);

/** The part of a snapshot one task reads: the whole collection, or its share. */
export const partName = (share: { index: number; count: number } | undefined): string => (share ? `${share.index}/${share.count}` : 'all');

async function withDb<T>(config: MongoSourceConfig, connector: string, fn: (db: Db) => Promise<T>): Promise<T> {
  let client: MongoClient;
  try {
    client = new MongoClient(config['connection.uri'], { appName: `conflux-${connector}-snapshots`, serverSelectionTimeoutMS: 10_000 });
    await client.connect();
  } catch (err) {
    throw connectError(err, config['connection.uri']);
  }
  try {
    return await fn(client.db(config.database));
  } finally {
    await client.close().catch(() => undefined);
  }
}

export function parseSnapshotRequest(config: MongoSourceConfig, request: SnapshotRequest): Omit<SignalDoc, '_id' | 'type' | 'connector' | 'requested_at'> {
  const collections = parseList(config.collections);
  if (!collections.includes(request.collection)) {
    throw new ConfigError([{ key: 'collection', message: `"${request.collection}" is not one of this connector's collections (${collections.join(', ')})` }]);
  }
  if ([request.filter, request.ids, request.keys].filter((x) => x !== undefined).length > 1) {
    throw new ConfigError([{ key: 'ids', message: 'give one of filter, ids and keys' }]);
  }
  if (request.keys !== undefined)
    return parseSnapshotRequest(config, {
      collection: request.collection,
      ids: request.keys.map(documentIdOf),
      ...(request.reason ? { reason: request.reason } : {}),
    });
  const out: Omit<SignalDoc, '_id' | 'type' | 'connector' | 'requested_at'> = { collection: request.collection };
  if (request.filter !== undefined) {
    let filter: unknown;
    try {
      filter = BSON.EJSON.deserialize(request.filter as Document, { relaxed: false });
    } catch (err) {
      throw new ConfigError([{ key: 'filter', message: `is not an Extended JSON query document: ${(err as Error).message}` }]);
    }
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
      throw new ConfigError([{ key: 'filter', message: 'must be a query document (an object)' }]);
    out.filter = extendedJson(filter);
  }
  if (request.ids !== undefined) {
    if (request.ids.length === 0) throw new ConfigError([{ key: 'ids', message: 'lists no _id' }]);
    if (request.ids.length > MAX_SNAPSHOT_IDS)
      throw new ConfigError([{ key: 'ids', message: `lists ${request.ids.length} _ids, more than ${MAX_SNAPSHOT_IDS}: use a filter, or several requests` }]);
    const ids = request.ids.map((id) => BSON.EJSON.deserialize({ v: id } as Document, { relaxed: false }).v as unknown);
    out.ids = extendedJson(ids);
  }
  if (request.reason !== undefined) out.reason = String(request.reason).slice(0, 200);
  return out;
}

/** What GET shows: the request and its parts summed; `expected` parts (the task count) make it done. */
export function snapshotInfo(doc: SignalDoc, expected: number): SnapshotInfo {
  const parts: SnapshotPart[] = Object.entries(doc.parts ?? {})
    .map(([part, p]) => ({
      part,
      state: p.state,
      documents: p.documents,
      chunks: p.chunks,
      ...(p.total !== undefined ? { total: p.total } : {}),
      updatedAt: p.updated_at.toISOString(),
      ...(p.error ? { error: p.error } : {}),
    }))
    .sort((a, b) => a.part.localeCompare(b.part));
  const documents = parts.reduce((n, p) => n + p.documents, 0);
  const chunks = parts.reduce((n, p) => n + p.chunks, 0);
  const totals = parts.map((p) => p.total).filter((t): t is number => t !== undefined);
  const total = totals.length > 0 ? Math.round((totals.reduce((a, b) => a + b, 0) / totals.length) * expected) : undefined;
  const ended = parts.length >= expected && parts.every((p) => p.state === 'done' || p.state === 'cancelled' || p.state === 'failed');
  let state: SnapshotState;
  if (parts.some((p) => p.state === 'failed')) state = 'failed';
  else if (ended && !parts.some((p) => p.state === 'cancelled')) state = 'done';
  else if (doc.cancelled_at) state = 'cancelled';
  else state = parts.length === 0 ? 'pending' : 'running';
  const started = Math.min(...Object.values(doc.parts ?? {}).map((p) => p.started_at.getTime()));
  const last = Math.max(...Object.values(doc.parts ?? {}).map((p) => p.updated_at.getTime()));
  const seconds = (last - started) / 1000;
  const rate = documents > 0 && seconds > 0 ? documents / seconds : undefined;
  const ids = doc.ids ? (fromExtendedJson(doc.ids) as unknown[]).length : undefined;
  return {
    id: doc._id,
    collection: doc.collection,
    ...(doc.filter ? { filter: JSON.parse(doc.filter) as Record<string, unknown> } : {}),
    ...(ids !== undefined ? { ids } : {}),
    ...(doc.reason ? { reason: doc.reason } : {}),
    state,
    requestedAt: doc.requested_at.toISOString(),
    documents,
    ...(total !== undefined ? { total } : {}),
    chunks,
    ...(rate !== undefined ? { ratePerSecond: Math.round(rate) } : {}),
    ...(rate !== undefined && total !== undefined && state === 'running' ? { etaSeconds: Math.max(0, Math.round((total - documents) / rate)) } : {}),
    parts,
  };
}

const expectedParts = (config: MongoSourceConfig) => Math.max(1, config['tasks.max']);

export async function requestSnapshot(config: MongoSourceConfig, connector: string, request: SnapshotRequest): Promise<SnapshotInfo> {
  const parsed = parseSnapshotRequest(config, request);
  const doc: SignalDoc = { _id: new ObjectId().toHexString(), type: 'snapshot', connector, requested_at: new Date(), ...parsed };
  await withDb(config, connector, (db) => signals(db, config['snapshot.signal.collection']).insertOne(doc));
  return snapshotInfo(doc, expectedParts(config));
}

export function listSnapshots(config: MongoSourceConfig, connector: string): Promise<SnapshotInfo[]> {
  return withDb(config, connector, async (db) => {
    const docs = await signals(db, config['snapshot.signal.collection']).find({ connector, type: 'snapshot' }).sort({ requested_at: -1 }).limit(100).toArray();
    return docs.map((d) => snapshotInfo(d, expectedParts(config)));
  });
}

export function cancelSnapshot(config: MongoSourceConfig, connector: string, id: string): Promise<SnapshotInfo | undefined> {
  return withDb(config, connector, async (db) => {
    const coll = signals(db, config['snapshot.signal.collection']);
    await coll.updateOne({ _id: id, connector, cancelled_at: { $exists: false } }, { $set: { cancelled_at: new Date() } });
    const doc = await coll.findOne({ _id: id, connector });
    return doc ? snapshotInfo(doc, expectedParts(config)) : undefined;
  });
}

/** The collection `topic.map` sends to `topic` (`<collection>-cdc` by default). */
export function collectionOf(config: MongoSourceConfig, topic: string): string | undefined {
  const mapped = new Map(parseList(config['topic.map']).map((pair) => pair.split(':').map((x) => x.trim()) as [string, string]));
  return parseList(config.collections).find((c) => (mapped.get(c) ?? `${c}-cdc`) === topic);
}
