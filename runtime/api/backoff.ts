/**
 * The delay before retry number `attempt` (0 for the first retry) of an exponential backoff:
 * `initialMs` doubled per attempt, never above `maxMs`. The one backoff of conflux: the runtime's
 * retries (which add jitter below this ceiling), task restarts, group rejoins and plugins that
 * must wait out an outage themselves all grow their waits the same way.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  // 2^30 already exceeds any sane ceiling; the cap keeps the power finite.
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
}
