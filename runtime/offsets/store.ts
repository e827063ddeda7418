export type SourcePartition = Readonly<Record<string, unknown>>;
export type SourceOffset = Readonly<Record<string, unknown>>;

export interface OffsetEntry {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset;
}

/** A write: `offset: null` deletes the partition's offset (used by `DELETE /connectors/:name/offsets`). */
export interface OffsetWrite {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset | null;
}

/**
 * Durable storage of source offsets, per connector and source partition. Partitions are matched
 * by value (key order does not matter).
 *
 * Lifecycle: `start` once before anything else (loads existing state), `stop` once at the end
 * (waits for pending writes). Reads reflect every `set` already called, even before it is durable.
 * Implementations serialise writes themselves; callers may overlap `set` calls.
 */
export interface OffsetStore {
  start(): Promise<void>;
  /** The stored offset, or `undefined` if the partition has none. */
  get(connector: string, partition: SourcePartition): Promise<SourceOffset | undefined>;
  getAll(connector: string): Promise<OffsetEntry[]>;
  /** Applies all entries atomically; resolves once they are durable. */
  set(connector: string, entries: readonly OffsetWrite[]): Promise<void>;
  /** Removes every offset of the connector (connector deleted or offsets reset); durable on resolve. */
  deleteAll(connector: string): Promise<void>;
  /** Resolves once every write issued so far is durable. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}
