import type { SnapshotInfo, SnapshotRequest } from '../api/index.js';
import type { DeadLetterQuery, DeadLetters } from '../tasks/dead-letter-reader.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { ConnectorOffset } from '../offsets/sink-group-offsets.js';
import type { PluginRegistry } from '../worker/plugin-registry.js';
import type { ConnectorStatus, TargetState, TaskStatus } from '../tasks/status.js';
import type { ConnectorInfo, RawConfig, ValidatedConfig } from '../worker/connector-instance.js';

/**
 * What the REST API and the CLI drive: the cluster's desired state (connector configs, target
 * states) and the status of what runs. Kafka Connect's Herder: a standalone herder keeps desired
 * state in a file and runs everything on its own worker; a distributed one keeps it in Kafka and
 * runs what the group assigns it. Errors are the catalogue's (NotFoundError, ConflictError, ...).
 */
export interface Herder {
  /** This worker's id, as status entries report it in `worker_id`. */
  readonly id: string;
  readonly plugins: PluginRegistry;
  /** The group this worker belongs to in distributed mode; undefined standalone. */
  readonly groupId: string | undefined;
  /** Distributed mode: the worker that leads the group, as of the last assignment; undefined standalone or before one. */
  readonly leaderId: string | undefined;
  readonly metrics: WorkerMetrics;

  start(): Promise<void>;
  /** Graceful: every task finishes its batch and commits its offsets. */
  stop(): Promise<void>;

  connectorNames(): string[];
  has(name: string): boolean;
  /** Validates a raw config the way create/update would; throws ConfigError with every error. */
  validate(raw: RawConfig): Promise<ValidatedConfig>;

  createConnector(name: string, raw: RawConfig, initial?: TargetState): Promise<ConnectorInfo>;
  /** Create or replace; a change restarts the tasks, the same config again changes nothing. */
  putConnectorConfig(name: string, raw: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }>;
  /** `change` derives the new config from the current one atomically with the write. */
  patchConnectorConfig(name: string, change: (current: RawConfig) => RawConfig): Promise<ConnectorInfo>;
  deleteConnector(name: string): Promise<void>;

  info(name: string): ConnectorInfo;
  config(name: string): RawConfig;
  target(name: string): TargetState;
  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: unknown }>;
  status(name: string): ConnectorStatus;
  taskStatus(name: string, id: number): TaskStatus;
  /** Names of the topics the connector reads from or writes to (known statically). */
  topics(name: string): string[];

  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Resolves once every task stopped and committed its offsets. */
  stopConnector(name: string): Promise<void>;
  restart(name: string, opts?: { includeTasks?: boolean; onlyFailed?: boolean }): Promise<ConnectorStatus>;
  restartTask(name: string, id: number): Promise<void>;

  offsets(name: string): Promise<ConnectorOffset[]>;
  /** Only while the connector is STOPPED (KIP-875). */
  alterOffsets(name: string, entries: ConnectorOffset[]): Promise<void>;
  resetOffsets(name: string): Promise<void>;

  /** The Kafka cluster's id for `GET /`, or undefined when Kafka cannot be reached in time. */
  kafkaClusterId(timeoutMs?: number): Promise<string | undefined>;
  /** The newest records of the connector's dead-letter topic, grouped by rule (errors.deadletterqueue.topic.name). */
  deadLetters(name: string, query: DeadLetterQuery): Promise<DeadLetters>;
  /** Incremental snapshots of a source connector that supports them (400 otherwise). */
  startSnapshot(name: string, request: SnapshotRequest): Promise<SnapshotInfo>;
  listSnapshots(name: string): Promise<SnapshotInfo[]>;
  cancelSnapshot(name: string, id: string): Promise<SnapshotInfo>;
}
