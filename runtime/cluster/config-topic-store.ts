import type { Kafka } from 'kafkajs';
import { stableKey } from '../offsets/stable-key.js';
import type { TargetState } from '../tasks/status.js';
import type { RawConfig } from '../worker/connector-instance.js';
import type { LogRecord } from '../kafka/kafka-log.js';
import { TopicViewStore, type TopicStoreOptions } from './topic-view-store.js';

/** What the cluster knows of one connector: its config, desired state and the task configs its connector generated. */
export interface ConnectorEntry {
  config: RawConfig;
  target: TargetState;
  /** Undefined until the leader generated them for the current config. */
  tasks?: readonly unknown[];
}

/** A restart asked on any worker; the workers that run the connector or the tasks carry it out. */
export interface RestartRequest {
  includeTasks: boolean;
  onlyFailed: boolean;
  /** One task only (POST /connectors/:name/tasks/:id/restart). */
  task?: number;
}

const TARGETS: readonly TargetState[] = ['RUNNING', 'PAUSED', 'STOPPED'];

/**
 * The cluster's desired state in the config topic (`config.storage.topic`), as Kafka Connect's
 * KafkaConfigBackingStore keeps it: one record per connector config, target state and task-config
 * set, keyed `["connector", name]`, `["target", name]`, `["tasks", name]`; a tombstone of the
 * connector key deletes it; `["restart", name]` records carry restart requests to the workers. Every worker follows the topic, so a write on any worker is seen by all;
 * the topic has one partition, so every worker applies the changes in the same order.
 */
export class ConfigTopicStore extends TopicViewStore {
  private readonly configs = new Map<string, RawConfig>();
  private readonly targets = new Map<string, TargetState>();
  private readonly tasks = new Map<string, readonly unknown[]>();
  private readonly listeners = new Set<(name: string) => void>();
  private readonly restartListeners = new Set<(name: string, request: RestartRequest) => void>();
  private lastOffset = -1n;
  constructor(kafka: Kafka, opts: TopicStoreOptions) {
    super(kafka, opts, { holds: 'connector configs', key: 'config.storage.topic' });
  }

  /** Offset of the last change applied here: how current this worker's view is (-1: none). */
  get offset(): bigint {
    return this.lastOffset;
  }

  /** Called after each change applied, with the connector's name; returns the unsubscribe. */
  onChange(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called for each restart request written after the listener was added (restarts read at start are history). */
  onRestart(listener: (name: string, request: RestartRequest) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  async putRestart(name: string, request: RestartRequest): Promise<void> {
    await this.log.send(stableKey(['restart', name]), JSON.stringify(request));
  }

  connectorNames(): string[] {
    return [...this.configs.keys()].sort();
  }

  get(name: string): ConnectorEntry | undefined {
    const config = this.configs.get(name);
    if (!config) return undefined;
    const tasks = this.tasks.get(name);
    return { config, target: this.targets.get(name) ?? 'RUNNING', ...(tasks ? { tasks } : {}) };
  }

  /** A new or changed config; its task configs are generated again by the leader. */
  async putConfig(name: string, config: RawConfig): Promise<void> {
    await this.log.send(stableKey(['connector', name]), JSON.stringify({ config }));
  }

  async putTarget(name: string, target: TargetState): Promise<void> {
    await this.log.send(stableKey(['target', name]), JSON.stringify({ state: target }));
  }

  async putTaskConfigs(name: string, tasks: readonly unknown[]): Promise<void> {
    await this.log.send(stableKey(['tasks', name]), JSON.stringify({ tasks }));
  }

  /** Tombstones for the task configs, the target state and last the config, so a reader never sees a config without its state. */
  async remove(name: string): Promise<void> {
    await this.log.send(stableKey(['tasks', name]), null);
    await this.log.send(stableKey(['target', name]), null);
    await this.log.send(stableKey(['connector', name]), null);
  }

  protected apply(record: LogRecord): void {
    this.lastOffset = BigInt(record.offset);
    const key = JSON.parse(record.key) as unknown;
    if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== 'string') throw new Error(`unknown key ${record.key}`);
    const [kind, name] = key as [string, string];
    const value = record.value ? (JSON.parse(record.value.toString('utf8')) as Record<string, unknown>) : null;
    if (kind === 'connector') {
      if (value === null) {
        this.configs.delete(name);
        this.targets.delete(name);
        this.tasks.delete(name);
      } else {
        this.configs.set(name, stringMap(value.config, record.key));
        // A new config makes the generated task configs stale until the leader writes new ones.
        this.tasks.delete(name);
      }
    } else if (kind === 'target') {
      if (value === null) this.targets.delete(name);
      else if (TARGETS.includes(value.state as TargetState)) this.targets.set(name, value.state as TargetState);
      else throw new Error(`unknown target state ${String(value.state)} for ${name}`);
    } else if (kind === 'tasks') {
      if (value === null) this.tasks.delete(name);
      else if (Array.isArray(value.tasks)) this.tasks.set(name, Object.freeze([...(value.tasks as unknown[])]));
      else throw new Error(`task configs of ${name} are not a list`);
    } else if (kind === 'restart') {
      if (value !== null && this.configs.has(name)) {
        const request: RestartRequest = {
          includeTasks: value.includeTasks === true,
          onlyFailed: value.onlyFailed === true,
          ...(Number.isInteger(value.task) ? { task: value.task as number } : {}),
        };
        for (const listener of this.restartListeners) listener(name, request);
      }
      return;
    } else {
      throw new Error(`unknown record kind ${kind}`);
    }
    for (const listener of this.listeners) listener(name);
  }
}

function stringMap(value: unknown, key: string): RawConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new Error(`the config of ${key} is not a map of strings`);
  }
  return Object.freeze({ ...(value as Record<string, string>) });
}
