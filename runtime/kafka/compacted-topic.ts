import type { Admin } from 'kafkajs';
import { FatalError } from '../api/errors.js';

/** Kafka's config resource type of a topic (kafkajs's ConfigResourceTypes.TOPIC, not importable from ESM). */
const TOPIC_RESOURCE = 2;

export interface CompactedTopicSpec {
  topic: string;
  /** What the topic holds, for error messages ("offsets", "connector configs"). */
  holds: string;
  /** The worker config key naming the topic, for error messages. */
  key: string;
  partitions?: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor?: number;
}

/**
 * Creates the topic compacted when it is missing. Like Kafka Connect, refuses an existing topic
 * that is not compact-only: with deletion by retention, entries not rewritten for a while (an
 * offset, a connector config) would silently disappear.
 */
export async function ensureCompactedTopic(admin: Admin, spec: CompactedTopicSpec): Promise<void> {
  const created = await admin.createTopics({
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.partitions ?? 1,
        replicationFactor: spec.replicationFactor ?? -1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
    waitForLeaders: true,
  });
  if (created) return;
  const { resources } = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: spec.topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  });
  const policy = resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
  if (policy.replace(/\s/g, '') !== 'compact') {
    throw new FatalError(
      `the ${spec.holds} topic ${spec.topic} has cleanup.policy=${policy || '(unknown)'}; it must be compact only, or ${spec.holds} would be lost to retention. ` +
        `Set cleanup.policy=compact on the topic or choose another ${spec.key}`,
    );
  }
}
