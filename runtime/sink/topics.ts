import type { Kafka } from 'kafkajs';
import type { Logger } from '../api/index.js';
import { connectUnlessStopped, delay } from '../support/abortable.js';
import type { RecordErrorHandler } from '../tasks/record-errors.js';

/**
 * A sink may be created before anything wrote its topics. Like Kafka Connect, it then waits
 * (RUNNING, with a log line) rather than failing; subscribing to a missing topic fails in kafkajs.
 * Resolves false when stopped while waiting.
 */
export async function waitForTopics(
  kafka: Kafka,
  topics: readonly string[],
  o: { errors: RecordErrorHandler; logger: Logger; signal: AbortSignal },
): Promise<boolean> {
  const { errors, logger, signal } = o;
  const admin = kafka.admin();
  await errors.retry('connect', () => connectUnlessStopped(admin, signal));
  try {
    let logged = false;
    while (!signal.aborted) {
      const existing = new Set(await errors.retry('metadata', () => admin.listTopics()));
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return true;
      if (!logged) logger.info('waiting for topics to exist', { missing });
      logged = true;
      await delay(500, signal);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
