/**
 * Incremental snapshots: a source re-reads part of its data while its stream keeps flowing
 * (in the style of Debezium's incremental snapshots and DBLog's watermarks). The runtime only
 * routes the requests (`POST|GET|DELETE /connectors/{name}/snapshots`); the plugin keeps them
 * where every worker and every task can see them, and its tasks read the chunks.
 */

/** What to read again: a collection (table, ...) and optionally a filter or a list of keys. */
export interface SnapshotRequest {
  readonly collection: string;
  /** A source-specific filter (MongoDB: a query document as Extended JSON). */
  readonly filter?: Readonly<Record<string, unknown>>;
  /** Only these keys (MongoDB: `_id` values as Extended JSON); keys the source no longer has become deletes. */
  readonly ids?: readonly unknown[];
  /** Like `ids`, as the connector's record keys spell them (a dead letter's key). */
  readonly keys?: readonly string[];
  /** Why it was asked for, kept with it (e.g. `dlq replay`, `verify --repair`). */
  readonly reason?: string;
}

export type SnapshotState = 'pending' | 'running' | 'done' | 'cancelled' | 'failed';

/** One task's part of a snapshot (a share of the collection when tasks.max > 1). */
export interface SnapshotPart {
  readonly part: string;
  readonly state: SnapshotState;
  readonly documents: number;
  readonly chunks: number;
  readonly total?: number;
  readonly updatedAt: string;
  readonly error?: string;
}

export interface SnapshotInfo {
  readonly id: string;
  readonly collection: string;
  readonly filter?: Readonly<Record<string, unknown>>;
  readonly ids?: number;
  readonly reason?: string;
  readonly state: SnapshotState;
  readonly requestedAt: string;
  /** Documents read so far over every part, and the estimated total. */
  readonly documents: number;
  readonly total?: number;
  readonly chunks: number;
  /** Documents per second since the first chunk, and the seconds left at that rate. */
  readonly ratePerSecond?: number;
  readonly etaSeconds?: number;
  readonly parts: SnapshotPart[];
}

/** A source plugin's incremental snapshots, given the connector's validated config and name. */
export interface IncrementalSnapshots<C = unknown> {
  /** Records the request; the connector's tasks pick it up while streaming. Throws ConfigError for a bad request. */
  start(config: C, connector: string, request: SnapshotRequest): Promise<SnapshotInfo>;
  list(config: C, connector: string): Promise<SnapshotInfo[]>;
  /** The collection whose records the connector writes to `topic`, if any (to replay a sink's dead letters). */
  collectionOf(config: C, topic: string): string | undefined;
  /** Cancels a snapshot that has not ended (what was read stays read); undefined when there is no such snapshot. */
  cancel(config: C, connector: string, id: string): Promise<SnapshotInfo | undefined>;
}

/** Header on every record an incremental snapshot read: the snapshot's id (a replay is marked by it). */
export const SNAPSHOT_ID_HEADER = 'conflux.snapshot.id';
