import type { Admin, Kafka } from 'kafkajs';
import { topicPartitionKey, type Logger, type TopicPartition } from '../api/index.js';

const REFRESH_MS = 2000;

/**
 * The consumer lag of a paused sink task. The lag gauge is set from fetched batches, and a paused
 * consumer fetches none, so the gauge would stand still while the topic grows: while paused, the
 * end offsets are read every 2 s and the lag is each end minus where the task will go on reading.
 */
export class PausedLag {
  private timer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly o: {
      assigned: () => readonly TopicPartition[];
      /** Where the task goes on reading a partition, when known. */
      position: (partitionKey: string) => string | undefined;
      set: (topic: string, partition: number, lag: number) => void;
      logger: Logger;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.refresh().finally(() => (this.running = undefined));
    }, REFRESH_MS);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async refresh(): Promise<void> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const byTopic = new Map<string, TopicPartition[]>();
      for (const tp of this.o.assigned()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
      for (const [topic, partitions] of byTopic) {
        const ends = new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
        for (const { partition } of partitions) {
          const at = this.o.position(topicPartitionKey(topic, partition));
          const end = ends.get(partition);
          if (at === undefined || end === undefined) continue;
          this.o.set(topic, partition, Number(end > BigInt(at) ? end - BigInt(at) : 0n));
        }
      }
    } catch (err) {
      // A gauge that is late is better than a paused task that fails: try again next time.
      this.o.logger.debug('reading end offsets for the paused lag failed', { error: (err as Error).message });
    }
  }
}
