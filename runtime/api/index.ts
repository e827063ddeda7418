// The plugin contract: the only module connectors/ and transforms/ may import. It depends on
// nothing else in runtime/, so plugins cannot reach into the engine.
export type { Logger, LogFields } from './logger.js';
export { silentLogger } from './logger.js';
export type { Counter, Gauge, Histogram, TaskMetrics } from './metrics.js';
export { noopMetrics } from './metrics.js';
export type { ConnectRecord, Headers, RecordChanges, RecordSchema, RejectedRecord, SinkRecord, SourceRecord } from './records.js';
export { positionRecord, withHeader, withRecord } from './records.js';
export type {
  ConnectorDefinition,
  OffsetReader,
  StoredOffset,
  SinkConnectorDefinition,
  SinkOffset,
  SinkOffsetsStore,
  SinkTask,
  SinkTaskContext,
  SourceConnectorDefinition,
  SourceTask,
  SourceTaskContext,
  TaskContext,
  TaskProgress,
  TopicPartition,
  TopicSpec,
  TopicPartitionOffset,
  TopicPartitionOffsets,
} from './connector.js';
export { defineSinkConnector, defineSourceConnector, parseTopicPartitionKey, topicPartitionKey } from './connector.js';
export type { LookupTable, LookupTables, Predicate, PredicateDefinition, Transform, TransformContext, TransformDefinition } from './transform.js';
export { definePredicate, defineTransform } from './transform.js';
export { backoffDelay } from './backoff.js';
export type { ConfigErrorEntry } from './errors.js';
export { ConfigError, ConnectError, DataError, FatalError, NotYetError, RetriableError } from './errors.js';
export type { EventTime } from './event-time.js';
export {
  EVENT_TIME_HEADER,
  READ_TIME_HEADER,
  WATERMARK_HEADER,
  WATERMARK_KEY,
  compareEventTime,
  eventTimeOf,
  formatEventTime,
  parseEventTime,
  readTimeOf,
  watermarkRecord,
} from './event-time.js';
export type { TSecret } from './schema.js';
export { LITERAL_KEYWORD, LiteralOnly, SECRET_KEYWORD, Secret, isLiteralOnlySchema, isSecretSchema } from './schema.js';
export type { CdcEnvelope, CdcOp, CdcSource, CdcUpdateDescription } from './cdc-envelope.js';
export { EXTENDED_JSON, cdcEnvelopeSchema } from './cdc-envelope.js';
export { documentIdOf, documentKey } from './document-key.js';
export type { SnapshotComplete, SnapshotMarkerRecord } from './snapshot-marker.js';
export { SNAPSHOT_HEADER, snapshotCompleteOf, snapshotCompleteRecord, snapshotHeaders } from './snapshot-marker.js';
export type { IncrementalSnapshots, SnapshotInfo, SnapshotPart, SnapshotRequest, SnapshotState } from './incremental-snapshots.js';
export { SNAPSHOT_ID_HEADER } from './incremental-snapshots.js';
