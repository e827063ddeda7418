import type { DeadLetterQuery, DeadLetters } from '../tasks/dead-letter-reader.js';
import type { Logger, SnapshotInfo, SnapshotRequest } from '../api/index.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { ConnectorOffset } from '../offsets/sink-group-offsets.js';
import type { PluginRegistry } from '../worker/plugin-registry.js';
import type { ConnectorStatus, TargetState, TaskStatus } from '../tasks/status.js';
import type { ConnectorConfigStore, Worker } from '../worker/worker.js';
import type { ConnectorInfo, RawConfig, ValidatedConfig } from '../worker/connector-instance.js';
import type { Herder } from './herder.js';

/**
 * One worker on its own (`conflux standalone`): every connector and task runs here, and the
 * desired state lives in the worker's config store (a file), from which the connectors come back
 * at start. The worker saves each change it applies into that store.
 */
export class StandaloneHerder implements Herder {
  constructor(
    readonly worker: Worker,
    private readonly configStore: ConnectorConfigStore | undefined,
    private readonly logger: Logger,
  ) {}

  get id(): string {
    return this.worker.id;
  }

  get groupId(): undefined {
    return undefined;
  }

  get leaderId(): undefined {
    return undefined;
  }

  get plugins(): PluginRegistry {
    return this.worker.plugins;
  }

  get metrics(): WorkerMetrics {
    return this.worker.metrics;
  }

  /** Starts the worker, then the connectors saved by an earlier run; one that fails to come back is logged, not fatal. */
  async start(): Promise<void> {
    await this.worker.start();
    for (const saved of (await this.configStore?.load()) ?? []) {
      try {
        await this.worker.restore(saved.name, saved.config, saved.target);
      } catch (err) {
        this.logger.error('could not restore a saved connector', { connector: saved.name, error: (err as Error).message });
      }
    }
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  connectorNames(): string[] {
    return this.worker.connectorNames();
  }

  has(name: string): boolean {
    return this.worker.has(name);
  }

  validate(raw: RawConfig): Promise<ValidatedConfig> {
    return this.worker.validate(raw);
  }

  createConnector(name: string, raw: RawConfig, initial: TargetState = 'RUNNING'): Promise<ConnectorInfo> {
    return this.worker.createConnector(name, raw, initial);
  }

  putConnectorConfig(name: string, raw: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.worker.putConnectorConfig(name, raw);
  }

  patchConnectorConfig(name: string, change: (current: RawConfig) => RawConfig): Promise<ConnectorInfo> {
    return this.worker.patchConnectorConfig(name, change);
  }

  deleteConnector(name: string): Promise<void> {
    return this.worker.deleteConnector(name);
  }

  info(name: string): ConnectorInfo {
    return this.worker.info(name);
  }

  config(name: string): RawConfig {
    return this.worker.config(name);
  }

  target(name: string): TargetState {
    return this.worker.target(name);
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: unknown }> {
    return this.worker.taskConfigs(name);
  }

  status(name: string): ConnectorStatus {
    return this.worker.status(name);
  }

  taskStatus(name: string, id: number): TaskStatus {
    return this.worker.taskStatus(name, id);
  }

  topics(name: string): string[] {
    return this.worker.topics(name);
  }

  pause(name: string): Promise<void> {
    return this.worker.pause(name);
  }

  resume(name: string): Promise<void> {
    return this.worker.resume(name);
  }

  stopConnector(name: string): Promise<void> {
    return this.worker.stopConnector(name);
  }

  restart(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean } = {}): Promise<ConnectorStatus> {
    return this.worker.restart(name, opts);
  }

  restartTask(name: string, id: number): Promise<void> {
    return this.worker.restartTask(name, id);
  }

  offsets(name: string): Promise<ConnectorOffset[]> {
    return this.worker.offsets(name);
  }

  alterOffsets(name: string, entries: ConnectorOffset[]): Promise<void> {
    return this.worker.alterOffsets(name, entries);
  }

  resetOffsets(name: string): Promise<void> {
    return this.worker.resetOffsets(name);
  }

  kafkaClusterId(timeoutMs?: number): Promise<string | undefined> {
    return this.worker.kafkaClusterId(timeoutMs);
  }

  deadLetters(name: string, query: DeadLetterQuery): Promise<DeadLetters> {
    return this.worker.deadLetters(name, query);
  }

  startSnapshot(name: string, request: SnapshotRequest): Promise<SnapshotInfo> {
    return this.worker.startSnapshot(name, request);
  }

  listSnapshots(name: string): Promise<SnapshotInfo[]> {
    return this.worker.listSnapshots(name);
  }

  cancelSnapshot(name: string, id: string): Promise<SnapshotInfo> {
    return this.worker.cancelSnapshot(name, id);
  }
}
