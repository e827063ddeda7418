import { backoffDelay } from '../api/backoff.js';

export interface RestartPolicy {
  /** Restart FAILED tasks automatically (Kafka Connect never does). */
  enabled: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** A run that lasted this long before failing counts as healthy: the attempts start from zero again. */
  healthyMs: number;
}

/**
 * The automatic-restart bookkeeping of one task: exponential backoff, a bound on consecutive
 * attempts, and a fresh count once a run proved healthy, so a task that fails once a day is
 * restarted every day while one that fails on start gives up after `maxAttempts`.
 */
export class RestartBackoff {
  private attempts = 0;
  private startedAt: number;

  constructor(
    private readonly policy: RestartPolicy | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** The task (re)started now. */
  started(): void {
    this.startedAt = this.now();
  }

  /** An operator restarted the task: it gets the full number of attempts again. */
  reset(): void {
    this.attempts = 0;
  }

  /** The task failed: the delay before the next automatic restart, or undefined to leave it FAILED. */
  failed(): number | undefined {
    const p = this.policy;
    if (!p?.enabled) return undefined;
    if (this.now() - this.startedAt >= p.healthyMs) this.attempts = 0;
    if (this.attempts >= p.maxAttempts) return undefined;
    const delay = backoffDelay(this.attempts, p.initialDelayMs, p.maxDelayMs);
    this.attempts += 1;
    return delay;
  }

  /** Automatic restarts since the last healthy run or manual restart. */
  get attempt(): number {
    return this.attempts;
  }
}
