import { backoffDelay } from '../api/backoff.js';
import { RetriableError, StageError, isRetriable } from '../errors.js';

/** Time source; injectable so tests do not sleep. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with `signal.reason` when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface RetryOptions {
  /**
   * Total time budget for retries in ms, measured from the first attempt (Kafka Connect's
   * `errors.retry.timeout`): 0 = a single attempt, -1 = retry until `signal` aborts.
   */
  timeoutMs: number;
  /** Upper bound of one backoff delay (`errors.retry.delay.max.ms`). */
  maxDelayMs: number;
  /** Stops retrying; the last error is rethrown (check `signal.aborted` to tell). */
  signal?: AbortSignal;
  /**
   * Make the first attempt even when `signal` has already aborted (only the retries are cut
   * short): for work a stop must finish rather than abandon, such as flushing a batch already put.
   */
  attemptWhenAborted?: boolean;
  /** Called before each backoff sleep, e.g. to log and count retries. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Decides what is retried; defaults to the error catalogue's classification. */
  retriable?: (err: unknown) => boolean;
  clock?: Clock;
  /** Source of jitter in [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

/** First backoff ceiling, doubled per attempt, as in Kafka Connect's RetryWithToleranceOperator. */
export const RETRY_BASE_DELAY_MS = 300;

/**
 * Runs `fn` until it succeeds, a non-retriable error occurs (rethrown at once), the time budget is
 * spent or `signal` aborts (the last error is rethrown). Delays use exponential backoff with full
 * jitter, so tasks that failed together do not retry in lockstep against a recovering server. The
 * last sleep is shortened to end at the deadline, so there is always one attempt at the deadline.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retriable = options.retriable ?? isRetriable;
  const { signal, timeoutMs } = options;
  const deadline = timeoutMs < 0 ? Infinity : clock.now() + timeoutMs;

  let lastError: unknown = undefined;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted && !(attempt === 1 && options.attemptWhenAborted)) throw attempt === 1 ? signal.reason : lastError;
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
    }
    if (!retriable(lastError) || signal?.aborted) throw lastError;
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw lastError;

    const ceiling = backoffDelay(attempt - 1, RETRY_BASE_DELAY_MS, options.maxDelayMs);
    // A wait the plugin says ends sooner is not overslept by the backoff.
    const hint = retryAfter(lastError);
    const delay = Math.min(Math.floor(random() * ceiling), remaining, hint);
    options.onRetry?.(lastError, attempt, delay);
    try {
      await clock.sleep(delay, signal);
    } catch {
      // Aborted while waiting: the caller learns why the operation failed, not that it was interrupted.
      throw lastError;
    }
  }
}

/** The retryAfterMs of a RetriableError, also when a stage wrapped it (StageError); Infinity if none. */
function retryAfter(err: unknown): number {
  const cause = err instanceof StageError ? err.cause : err;
  return cause instanceof RetriableError && cause.retryAfterMs !== undefined ? Math.max(1, cause.retryAfterMs) : Infinity;
}
