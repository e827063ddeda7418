import type { Kafka } from 'kafkajs';
import type { Logger } from '../api/index.js';
import { KafkaLog, type LogRecord } from '../kafka/kafka-log.js';

export interface TopicStoreOptions {
  topic: string;
  replicationFactor?: number;
  logger: Logger;
}

/**
 * Cluster state held as the in-memory view of one compacted, single-partition topic: every worker
 * applies every record in the topic's order, so all of them hold the same state.
 */
export abstract class TopicViewStore {
  protected readonly log: KafkaLog;

  /** `holds` and `key` name the topic's role and worker key in errors about it. */
  constructor(kafka: Kafka, o: TopicStoreOptions, role: { holds: string; key: string }) {
    this.log = new KafkaLog(kafka, {
      topic: o.topic,
      ...role,
      partitions: 1,
      ...(o.replicationFactor !== undefined ? { replicationFactor: o.replicationFactor } : {}),
      logger: o.logger,
      apply: (record) => this.apply(record),
    });
  }

  /** Reads the topic to its end; from then on follows it. */
  start(): Promise<void> {
    return this.log.start();
  }

  stop(): Promise<void> {
    return this.log.stop();
  }

  /** Waits until every change written so far, by any worker, is applied here. */
  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  protected abstract apply(record: LogRecord): void;
}
