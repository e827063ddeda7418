import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import Type, { type Static } from 'typebox';
import { ConfigError, LiteralOnly, Secret, type ConfigErrorEntry, type RecordSchema } from '../../runtime/api/index.js';

/** `value.schema.<collection>`: the one family of keys with a collection name inside. */
export const VALUE_SCHEMA_KEY = /^value\.schema\.([^.]+)$/;

const LIST = '^\\s*[A-Za-z0-9_.-]+(\\s*,\\s*[A-Za-z0-9_.-]+)*\\s*$';

export const mongoSourceConfig = Type.Object(
  {
    'connection.uri': Secret(
      Type.String({
        description:
          'MongoDB connection string of a replica set or sharded cluster (change streams need one; a single-node replica set is enough). Secret: give it as ${env:NAME} or ${file:/path:key}; it never appears in status, logs or errors.',
        minLength: 1,
        examples: ['${env:MONGODB_URI}', 'mongodb://127.0.0.1:27017/?replicaSet=rs0'],
      }),
    ),
    database: Type.String({ description: 'Database holding the collections.', minLength: 1, examples: ['shop'] }),
    collections: LiteralOnly(
      Type.String({
        description: 'Comma-separated collections to capture. Each gets its own change stream and source partition.',
        pattern: LIST,
        examples: ['orders,customers'],
      }),
    ),
    'topic.map': LiteralOnly(
      Type.String({
        description: 'Comma-separated <collection>:<topic> pairs. A collection not listed goes to <collection>-cdc.',
        default: '',
        pattern: '^(\\s*[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+(\\s*,\\s*[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+)*\\s*)?$',
        examples: ['orders:orders-cdc,customers:customers-cdc'],
      }),
    ),
    'topic.partitions': Type.Integer({
      description: 'Partition count of the topics the connector creates when they are missing (existing topics are never changed).',
      minimum: 1,
      default: 1,
      examples: [6],
    }),
    'topic.compacted': LiteralOnly(
      Type.String({
        description:
          'Comma-separated collections whose topics are created compacted (cleanup.policy=compact): collections that are tables keyed by _id, where only the latest change per document matters.',
        default: '',
        pattern: `(${LIST})|^$`,
        examples: ['customers'],
      }),
    ),
    'topic.compacted.min.lag.ms': Type.Integer({
      description:
        'min.compaction.lag.ms of the compacted topics the connector creates: how long a record is kept before compaction may remove it in favour of a later one of its key. A delete (op d) is followed by a tombstone that carries the delete too, so a sink that lags longer than this still applies it, from the tombstone.',
      minimum: 0,
      default: 3600000,
    }),
    'topic.compacted.delete.retention.ms': Type.Integer({
      description:
        'delete.retention.ms of the compacted topics the connector creates: how long a tombstone is kept after compaction reached it. A sink (or lookup table) that is down or behind for longer than this can miss a delete altogether: keep it above the longest outage of a consumer.',
      minimum: 0,
      default: 604800000,
    }),
    'startup.mode': Type.Enum(['snapshot_then_stream', 'stream', 'timestamp'], {
      description:
        'Where a collection without a stored position starts. snapshot_then_stream: note the stream position, copy the existing documents (op r), then stream from the noted position. stream: only changes from now on. timestamp: changes from startup.timestamp.ms on (must still be in the oplog).',
      default: 'snapshot_then_stream',
    }),
    'startup.timestamp.ms': Type.Optional(
      Type.Integer({ description: 'With startup.mode=timestamp: the cluster time to start from, epoch milliseconds.', minimum: 0, examples: [1767225600000] }),
    ),
    pipeline: Type.String({
      description:
        'Extra change-stream stages as a JSON array, applied to the change events (not to the snapshot). Only $match stages are accepted, so that events keep their shape.',
      default: '',
      examples: ['[{"$match": {"operationType": {"$in": ["insert", "update", "replace"]}}}]'],
    }),
    'cursor.oversize.handling.mode': Type.Enum(['fail', 'skip', 'split'], {
      description:
        "What to do with a change event over MongoDB's 16 MB limit (BSONObjectTooLarge, code 10334; with updateLookup, a large document plus a large update description reaches it), which no reader of the stream can get past. fail: the task fails, naming the document and the fix. skip: the event is dead-lettered without its document (key: the _id; the reason names the collection, size and cluster time) and the stream goes on; it costs the server a $bsonSize per event (MongoDB 4.4+). split: the server splits such events into fragments ($changeStreamSplitLargeEvent, MongoDB 6.0.9+ or 7.0+), which the task puts back together before converting them; a record still larger than producer.max.request.size is then dead-lettered as any too-large record.",
      default: 'fail',
    }),
    'cursor.oversize.skip.threshold': Type.Integer({
      description:
        "With cursor.oversize.handling.mode=skip: an event whose document, document before change and update description together exceed this many bytes (BSON) is skipped. The default leaves 16 KB for the event's other fields under MongoDB's limit.",
      minimum: 1,
      maximum: 16777216,
      default: 16777216,
    }),
    'full.document': Type.Enum(['updateLookup', 'default'], {
      description:
        'updateLookup: update events carry the current full document in after. default is refused: its update events carry no document (after is null), which every consumer of the envelope reads as a document deleted before the lookup, so each update would be lost without a trace.',
      default: 'updateLookup',
    }),
    'poll.max.batch.size': Type.Integer({
      description:
        'Most records returned by one poll, and the cursor batch size. The runtime splits a large poll into produce requests of at most producer.max.request.size.',
      minimum: 1,
      maximum: 100000,
      default: 1000,
    }),
    'poll.await.time.ms': Type.Integer({
      description:
        'Longest time a poll waits for changes before it returns an empty batch (the change stream maxAwaitTimeMS; the collections of a task are waited on at once, and a poll returns as soon as one has changes).',
      minimum: 10,
      maximum: 1000,
      default: 500,
    }),
    'heartbeat.interval.ms': Type.Integer({
      description:
        "How often a quiet stream's stored position moves to the cursor's postBatchResumeToken, so that a restart after a long quiet period does not resume from a token that has left the oplog. 0 disables heartbeats.",
      minimum: 0,
      default: 10000,
    }),
    'watermark.interval.ms': Type.Integer({
      description:
        "How often at most each collection's topic gets a watermark: control records saying that every change of the collection up to a cluster time is in the topic, from the stream's position (the postBatchResumeToken). Joins against the topic (EnrichCustomer) decide from them at once whether a key exists, instead of waiting on the clock. While the collection is being copied the watermark stays just below the copy's start (the source is alive, nothing about the collection is promised yet); one is repeated at least every heartbeat.interval.ms on a quiet collection. 0 writes none.",
      minimum: 0,
      maximum: 60000,
      default: 200,
    }),
    'snapshot.chunk.size': Type.Integer({
      description:
        'Documents read per snapshot query. Each document of the snapshot records its position, so a restart continues the copy after the last acknowledged document.',
      minimum: 1,
      maximum: 100000,
      default: 1000,
    }),
    'snapshot.signal.collection': Type.String({
      description:
        "Collection of the source database where incremental snapshot requests (POST /connectors/{name}/snapshots) and their progress are kept, so that every worker and task sees them and a restart resumes them. The connector needs write access to it (like Debezium's signalling collection).",
      minLength: 1,
      pattern: '^[^$\\x00]+$',
      default: 'conflux_signals',
    }),
    'snapshot.signal.interval.ms': Type.Integer({
      description: 'How often each task looks for new, cancelled or resumed incremental snapshot requests in snapshot.signal.collection.',
      minimum: 100,
      maximum: 60000,
      default: 1000,
    }),
    'snapshot.read.concern': Type.Enum(['majority', 'local'], {
      description:
        "Read concern of the snapshot's queries. majority (the default) copies only writes a majority of the replica set has, which a failover cannot roll back; local also copies writes that may be rolled back, which the stream then never reports (the warehouse would keep them).",
      default: 'majority',
    }),
    'snapshot.read.preference': Type.Enum(['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'], {
      description:
        "Read preference of the snapshot's queries. A copy read from a secondary is as old as that secondary, and its records carry the read time that secondary reported (operationTime).",
      default: 'primary',
    }),
    'schema.drift': Type.Enum(['ignore', 'warn', 'fail'], {
      description:
        'What to do when a document of a collection with value.schema.<collection> has a field its schema does not declare (the typed record cannot carry it). warn: leave it out, log it once per field and count it in conflux_plugin_schema_drift_fields_total{collection,field}; ignore: leave it out, silently; fail: fail the task, naming the document and field. A declared field whose type changed is a record error (see errors.tolerance), naming the field, the expected and the found type.',
      default: 'warn',
    }),
    'tombstones.on.delete': Type.Boolean({
      description:
        "After each delete record (op d), send a tombstone: a record with the same key and a null value, so that log compaction can drop the deleted document's key (as Debezium's tombstones.on.delete). Sink-side transforms and lookup tables skip tombstones.",
      default: true,
    }),
    'token.lost.policy': Type.Enum(['fail', 'resnapshot'], {
      description:
        'What to do when the stored resume position is no longer in the oplog (ChangeStreamHistoryLost). fail: the task fails and says how to recover. resnapshot: copy the collection again from a new position and continue; when 3 copies in a row each take longer than the oplog keeps history, the task fails and says so.',
      default: 'fail',
    }),
  },
  {
    patternProperties: {
      [VALUE_SCHEMA_KEY.source]: Type.String({
        description:
          'value.schema.<collection>: path of the Avro schema (.avsc, usually under config/schemas/) of the collection\'s documents, relative to the worker\'s working directory and below it (symlinks resolved); a regular file of at most 1 MiB. With it, "after" is that typed record and a document that does not fit is a data error; without it, "after" is the document as canonical Extended JSON in a string.',
        pattern: '\\.avsc$',
        examples: ['config/schemas/orders.avsc'],
      }),
    },
  },
);

export type MongoSourceConfig = Static<typeof mongoSourceConfig> & { readonly 'tasks.max': number } & Readonly<Record<string, unknown>>;

/** What one collection is captured as. */
export interface CollectionPlan {
  readonly collection: string;
  readonly topic: string;
  /** The parsed `.avsc` record schema, or undefined for Extended JSON documents. */
  readonly documentSchema?: RecordSchema;
  readonly compacted: boolean;
}

/** A task's share of the hash space of `_id`, when the capture is split across tasks. */
export interface Share {
  readonly index: number;
  readonly count: number;
}

/** cursor.oversize.handling.mode: see oversize.ts. */
export type OversizeMode = 'fail' | 'skip' | 'split';

/** The config of one task: JSON-serialisable, because task configs are stored. */
export interface MongoSourceTaskConfig {
  readonly uri: string;
  readonly database: string;
  readonly collections: readonly CollectionPlan[];
  readonly share?: Share;
  readonly topicPartitions: number;
  /** Topic configs of the compacted topics the connector creates. */
  readonly compactedTopicConfig: Readonly<Record<string, string>>;
  readonly startupMode: 'snapshot_then_stream' | 'stream' | 'timestamp';
  readonly startupTimestampMs?: number;
  readonly pipeline: readonly Record<string, unknown>[];
  readonly fullDocument: 'updateLookup' | 'default';
  readonly oversizeMode: OversizeMode;
  readonly oversizeSkipThreshold: number;
  readonly maxBatchSize: number;
  readonly awaitTimeMs: number;
  readonly heartbeatIntervalMs: number;
  readonly watermarkIntervalMs: number;
  readonly snapshotChunkSize: number;
  readonly signalCollection: string;
  readonly signalIntervalMs: number;
  readonly snapshotReadConcern: 'majority' | 'local';
  readonly snapshotReadPreference: 'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest';
  readonly tokenLostPolicy: 'fail' | 'resnapshot';
  readonly schemaDrift: 'ignore' | 'warn' | 'fail';
  readonly tombstonesOnDelete: boolean;
}

export const parseList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function parsePipeline(text: string, errors: ConfigErrorEntry[]): Record<string, unknown>[] {
  if (text.trim() === '') return [];
  let stages: unknown;
  try {
    stages = JSON.parse(text);
  } catch (err) {
    errors.push({ key: 'pipeline', message: `not valid JSON: ${(err as Error).message}` });
    return [];
  }
  if (!Array.isArray(stages)) {
    errors.push({ key: 'pipeline', message: 'must be a JSON array of stages' });
    return [];
  }
  stages.forEach((stage, i) => {
    const keys = typeof stage === 'object' && stage !== null ? Object.keys(stage) : [];
    if (keys[0] === '$changeStreamSplitLargeEvent') {
      errors.push({ key: 'pipeline', message: `stage ${i}: set cursor.oversize.handling.mode=split instead of adding $changeStreamSplitLargeEvent` });
      return;
    }
    if (keys.length !== 1 || keys[0] !== '$match') errors.push({ key: 'pipeline', message: `stage ${i} must be a single {"$match": ...} stage` });
  });
  return stages as Record<string, unknown>[];
}

/** An Avro schema of record is small; a larger file is not one. */
const MAX_SCHEMA_BYTES = 1024 * 1024;

/**
 * Reads a `value.schema.<collection>` file. The path is relative to the worker's working directory
 * and must stay below it (symlinks resolved), and the file must be a regular file of at most 1 MiB.
 * Every failure reads the same, so that a config cannot probe what exists on the worker or read the
 * first bytes of a file through the error.
 */
function loadSchema(key: string, path: string, errors: ConfigErrorEntry[]): RecordSchema | undefined {
  const unreadable = () => {
    errors.push({ key, message: `cannot be read as an Avro record schema: give a path below the worker's working directory to a .avsc file of at most 1 MiB` });
    return undefined;
  };
  if (isAbsolute(path)) return unreadable();
  let parsed: unknown;
  try {
    const base = realpathSync(process.cwd());
    const real = realpathSync(resolve(base, path));
    const rel = relative(base, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return unreadable();
    const stat = statSync(real);
    if (!stat.isFile() || stat.size > MAX_SCHEMA_BYTES) return unreadable();
    parsed = JSON.parse(readFileSync(real, 'utf8'));
  } catch {
    return unreadable();
  }
  const schema = parsed as { type?: unknown; name?: unknown; fields?: unknown };
  if (schema?.type !== 'record' || typeof schema.name !== 'string' || !Array.isArray(schema.fields)) {
    errors.push({ key, message: `${path} is not an Avro record schema` });
    return undefined;
  }
  return parsed as RecordSchema;
}

/**
 * Checks what the schema cannot express (keys that name collections, the pipeline JSON, the
 * schema files) and builds the per-task configs. Throws one ConfigError with every problem.
 */
export function planTasks(config: MongoSourceConfig, maxTasks: number): MongoSourceTaskConfig[] {
  const errors: ConfigErrorEntry[] = [];
  const collections = parseList(config.collections);
  const known = new Set(collections);
  if (new Set(collections).size !== collections.length) errors.push({ key: 'collections', message: 'lists a collection twice' });
  if (config['full.document'] === 'default')
    errors.push({
      key: 'full.document',
      message:
        'default is refused: update events would carry no document (after is null), which the envelope means as deleted before the lookup, so every update would be lost; use updateLookup',
    });

  const topics = new Map<string, string>();
  for (const pair of parseList(config['topic.map'])) {
    const [collection, topic] = pair.split(':').map((s) => s.trim()) as [string, string];
    if (!known.has(collection))
      errors.push({ key: 'topic.map', message: `names collection "${collection}", which is not in collections (${collections.join(', ')})` });
    topics.set(collection, topic);
  }
  const compacted = new Set(parseList(config['topic.compacted']));
  for (const c of compacted)
    if (!known.has(c)) errors.push({ key: 'topic.compacted', message: `names collection "${c}", which is not in collections (${collections.join(', ')})` });

  const schemas = new Map<string, RecordSchema>();
  for (const [key, value] of Object.entries(config)) {
    const m = VALUE_SCHEMA_KEY.exec(key);
    if (!m) continue;
    const collection = m[1]!;
    if (!known.has(collection)) {
      errors.push({ key, message: `names collection "${collection}", which is not in collections (${collections.join(', ')})` });
      continue;
    }
    const schema = loadSchema(key, String(value), errors);
    if (schema) schemas.set(collection, schema);
  }
  if (config['startup.mode'] === 'timestamp' && config['startup.timestamp.ms'] === undefined) {
    errors.push({ key: 'startup.timestamp.ms', message: 'required when startup.mode=timestamp' });
  }
  const pipeline = parsePipeline(config.pipeline, errors);
  if (errors.length > 0) throw new ConfigError(errors);

  const plans: CollectionPlan[] = collections.map((collection) => ({
    collection,
    topic: topics.get(collection) ?? `${collection}-cdc`,
    ...(schemas.has(collection) ? { documentSchema: schemas.get(collection)! } : {}),
    compacted: compacted.has(collection),
  }));
  const count = Math.max(1, maxTasks);
  return Array.from({ length: count }, (_, index) => ({
    uri: config['connection.uri'],
    database: config.database,
    collections: plans,
    ...(count > 1 ? { share: { index, count } } : {}),
    topicPartitions: config['topic.partitions'],
    compactedTopicConfig: {
      'cleanup.policy': 'compact',
      'min.compaction.lag.ms': String(config['topic.compacted.min.lag.ms']),
      'delete.retention.ms': String(config['topic.compacted.delete.retention.ms']),
    },
    startupMode: config['startup.mode'],
    ...(config['startup.timestamp.ms'] !== undefined ? { startupTimestampMs: config['startup.timestamp.ms'] } : {}),
    pipeline,
    fullDocument: config['full.document'],
    oversizeMode: config['cursor.oversize.handling.mode'],
    oversizeSkipThreshold: config['cursor.oversize.skip.threshold'],
    maxBatchSize: config['poll.max.batch.size'],
    awaitTimeMs: config['poll.await.time.ms'],
    heartbeatIntervalMs: config['heartbeat.interval.ms'],
    watermarkIntervalMs: config['watermark.interval.ms'],
    snapshotChunkSize: config['snapshot.chunk.size'],
    signalCollection: config['snapshot.signal.collection'],
    signalIntervalMs: config['snapshot.signal.interval.ms'],
    snapshotReadConcern: config['snapshot.read.concern'],
    snapshotReadPreference: config['snapshot.read.preference'],
    tokenLostPolicy: config['token.lost.policy'],
    schemaDrift: config['schema.drift'],
    tombstonesOnDelete: config['tombstones.on.delete'],
  }));
}
