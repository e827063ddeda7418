import type { KafkaMessage } from 'kafkajs';
import { compareEventTime, topicPartitionKey, type EventTime, type TopicPartition } from '../api/index.js';
import { TopicWatermarks } from '../lookup-tables/watermarks.js';

/**
 * How far behind its source a topic's records are, from the watermark control records a sink
 * task reads: the least watermark over the task's partitions of the topic, against the wall clock.
 */
export class WatermarkLag {
  private readonly marks = new Map<string, TopicWatermarks>();

  constructor(private readonly report: (topic: string, lagSeconds: number) => void) {}

  /** A watermark read on a partition; the lag is reported once every assigned partition of the topic has one. */
  read(topic: string, partition: number, message: KafkaMessage, assigned: readonly TopicPartition[]): void {
    const key = topicPartitionKey(topic, partition);
    let marks = this.marks.get(key);
    if (!marks) this.marks.set(key, (marks = new TopicWatermarks(1)));
    marks.observe(0, message.headers!);
    let least: EventTime | undefined;
    for (const tp of assigned) {
      if (tp.topic !== topic) continue;
      const t = this.marks.get(topicPartitionKey(tp.topic, tp.partition))?.current;
      if (!t) return;
      if (!least || compareEventTime(t, least) < 0) least = t;
    }
    if (least) this.report(topic, Math.max(0, Date.now() - least.ms) / 1000);
  }
}
