import type { Consumer } from 'kafkajs';
import { topicPartitionKey, type Logger, type TopicPartition, type TopicPartitionOffset, type TopicPartitionOffsets } from '../api/index.js';
import type { RecordErrorHandler } from '../tasks/record-errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';

/** Commit failures that mean "the group moved on", as opposed to a broken consumer. */
const GROUP_CHURN = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

export function isGroupChurn(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (GROUP_CHURN.has((e as Error & { type?: string }).type ?? '')) return true;
  }
  return false;
}

/** preCommit may only speak for the task's own partitions (Kafka Connect ignores the others too). */
export function assignedOnly(offsets: TopicPartitionOffsets, assigned: readonly TopicPartition[], logger: Logger): TopicPartitionOffsets {
  const mine = new Set(assigned.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
  const ignored = offsets.filter((tp) => !mine.has(topicPartitionKey(tp.topic, tp.partition)));
  if (ignored.length > 0) {
    logger.warn('ignoring preCommit offsets of partitions not assigned to this task', { partitions: ignored.map((tp) => `${tp.topic}-${tp.partition}`) });
  }
  return offsets.filter((tp) => mine.has(topicPartitionKey(tp.topic, tp.partition)));
}

/**
 * Commits flushed positions to the consumer group. Retried under the connector's policy, and
 * attempted even when a stop arrived: the records are flushed, only the commit is left.
 */
export async function commitToGroup(
  consumer: Consumer,
  offsets: readonly TopicPartitionOffset[],
  deps: { errors: RecordErrorHandler; metrics: WorkerMetrics; logger: Logger; labels: { connector: string; task: string } },
): Promise<void> {
  const end = deps.metrics.offsetCommitLatency.startTimer(deps.labels);
  try {
    // With sink-managed offsets the group commit is for monitoring only; still worth doing.
    await deps.errors.retry('commit', () => consumer.commitOffsets(offsets.map((tp) => ({ ...tp }))), true);
    end();
  } catch (err) {
    if (!isGroupChurn(err)) throw err;
    // A rebalance took the partitions away mid-commit. The records are flushed; the next owner
    // starts from the previous commit, so they may be delivered again (at least once), or, for
    // sink-managed offsets, are skipped by its seek. Not a reason to fail the task.
    deps.metrics.errors.inc({ ...deps.labels, stage: 'commit', outcome: 'skipped' });
    deps.logger.warn('offset commit lost to a rebalance; records since the last commit may be redelivered', {
      error: (err as Error).message,
    });
  }
}
