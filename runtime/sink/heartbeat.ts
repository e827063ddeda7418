/** kafkajs's own heartbeat interval: its heartbeat() sends nothing when called more often. */
export const HEARTBEAT_INTERVAL_MS = 3_000;

/** Group errors after which this member no longer owns its partitions. */
const FENCED = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']);

export interface Membership {
  /** Set once a heartbeat learned that the group has evicted this member. */
  readonly lost: boolean;
  /** The heartbeat's answer that said so; kafkajs rejoins the group when it sees it. */
  readonly error?: unknown;
}

/**
 * Runs `work` while heartbeating the consumer group every `intervalMs`. kafkajs heartbeats only
 * between batches, so a put or flush longer than the session timeout would get the member evicted
 * and its partitions replayed by another task while this one still writes (Kafka Connect's
 * consumer heartbeats from a background thread for the same reason). A heartbeat that answers
 * "rebalance in progress" is fine: the member rejoins after the batch. One that answers "unknown
 * member" marks the membership lost, so the caller must not flush or commit the batch.
 */
export async function withHeartbeats<T>(
  heartbeat: () => Promise<void>,
  work: (membership: Membership) => Promise<T>,
  intervalMs = HEARTBEAT_INTERVAL_MS,
): Promise<T> {
  const membership: { lost: boolean; error?: unknown } = { lost: false };
  let beating: Promise<void> | undefined;
  const timer = setInterval(() => {
    beating ??= heartbeat()
      .catch((err: unknown) => {
        if (!isFenced(err)) return;
        membership.lost = true;
        membership.error = err;
      })
      .finally(() => {
        beating = undefined;
      });
  }, intervalMs);
  try {
    return await work(membership);
  } finally {
    clearInterval(timer);
    await beating;
  }
}

export function isFenced(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (FENCED.has((e as Error & { type?: string }).type ?? '')) return true;
  }
  return false;
}
