import type { Kafka } from 'kafkajs';
import { stableKey } from '../offsets/stable-key.js';
import type { ObservedState } from '../tasks/status.js';
import type { LogRecord } from '../kafka/kafka-log.js';
import { TopicViewStore, type TopicStoreOptions } from './topic-view-store.js';

/** One connector's or task's observed state as the worker running it last reported it. */
export interface StatusEntry {
  state: ObservedState;
  worker_id: string;
  trace?: string;
  /** The group generation the worker had when it wrote this: a newer one wins over a stale writer. */
  generation: number;
}

const STATES: readonly ObservedState[] = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'];

/**
 * Observed state of every connector and task of the cluster in the status topic
 * (`status.storage.topic`), as Kafka Connect's KafkaStatusBackingStore keeps it: each worker writes
 * the state of what it runs, keyed `["connector", name]` or `["task", name, id]`; every worker
 * follows the topic, so `GET /connectors/:name/status` on any of them shows who runs what.
 */
export class StatusTopicStore extends TopicViewStore {
  private readonly connectors = new Map<string, StatusEntry>();
  private readonly tasks = new Map<string, Map<number, StatusEntry>>();
  constructor(kafka: Kafka, opts: TopicStoreOptions) {
    super(kafka, opts, { holds: 'status', key: 'status.storage.topic' });
  }

  connector(name: string): StatusEntry | undefined {
    return this.connectors.get(name);
  }

  /** The tasks' entries by id, in id order. */
  tasksOf(name: string): Array<{ id: number } & StatusEntry> {
    return [...(this.tasks.get(name) ?? new Map<number, StatusEntry>())].sort(([a], [b]) => a - b).map(([id, entry]) => ({ id, ...entry }));
  }

  async putConnector(name: string, entry: StatusEntry): Promise<void> {
    await this.log.send(stableKey(['connector', name]), JSON.stringify(entry));
  }

  async putTask(name: string, id: number, entry: StatusEntry): Promise<void> {
    await this.log.send(stableKey(['task', name, id]), JSON.stringify(entry));
  }

  /** Tombstones for a deleted connector's entries, and for tasks beyond a smaller new count. */
  async removeTasks(name: string, fromId = 0): Promise<void> {
    for (const { id } of this.tasksOf(name).filter((t) => t.id >= fromId)) await this.log.send(stableKey(['task', name, id]), null);
  }

  async removeTask(name: string, id: number): Promise<void> {
    await this.log.send(stableKey(['task', name, id]), null);
  }

  async removeConnector(name: string): Promise<void> {
    await this.removeTasks(name);
    await this.log.send(stableKey(['connector', name]), null);
  }

  protected apply(record: LogRecord): void {
    const key = JSON.parse(record.key) as unknown;
    if (!Array.isArray(key)) throw new Error(`unknown key ${record.key}`);
    const entry = record.value ? parseEntry(record.value) : null;
    if (key[0] === 'connector' && typeof key[1] === 'string' && key.length === 2) {
      if (entry) this.connectors.set(key[1], entry);
      else this.connectors.delete(key[1]);
      return;
    }
    if (key[0] === 'task' && typeof key[1] === 'string' && Number.isInteger(key[2]) && key.length === 3) {
      const [, name, id] = key as [string, string, number];
      let tasks = this.tasks.get(name);
      if (entry) {
        if (!tasks) this.tasks.set(name, (tasks = new Map()));
        tasks.set(id, entry);
      } else {
        tasks?.delete(id);
        if (tasks?.size === 0) this.tasks.delete(name);
      }
      return;
    }
    throw new Error(`unknown key ${record.key}`);
  }
}

function parseEntry(value: Buffer): StatusEntry {
  const parsed = JSON.parse(value.toString('utf8')) as Partial<StatusEntry>;
  if (!STATES.includes(parsed.state as ObservedState) || typeof parsed.worker_id !== 'string' || typeof parsed.generation !== 'number') {
    throw new Error('not a status entry');
  }
  return {
    state: parsed.state as ObservedState,
    worker_id: parsed.worker_id,
    generation: parsed.generation,
    ...(typeof parsed.trace === 'string' ? { trace: parsed.trace } : {}),
  };
}
