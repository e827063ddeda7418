import { FatalError, type Logger } from '../api/index.js';
import type { DeadLetterPayload, DeadLetterWriter, ErrorStage } from './dead-letter.js';
import { StageError } from '../errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import { withRetry } from './retry.js';

export interface ErrorPolicy {
  /** `none`: the first rejected record fails the task. `all`: skip it (and dead-letter it). */
  tolerance: 'none' | 'all';
  /** Total time to keep retrying a retriable failure; 0 retries never, -1 forever. */
  retryTimeoutMs: number;
  retryMaxDelayMs: number;
  logErrors: boolean;
  deadLetter?: DeadLetterWriter;
}

/** The task's result for one record: its new value, or `skipped` when it was rejected and tolerated. */
/** A record stage's result: its value, or the failure it was rejected for (dead-lettered or skipped). */
export type RecordOutcome<T> = { ok: true; value: T } | { ok: false; stage: ErrorStage; error: Error };

/**
 * Applies the connector's `errors.*` policy to the record stages (transform, convert): retriable failures are retried with backoff, then a rejected record either fails the
 * task (`FatalError` carrying the cause) or is logged, counted and dead-lettered.
 */
export class RecordErrorHandler {
  constructor(
    private readonly policy: ErrorPolicy,
    private readonly labels: { connector: string; task: string },
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Runs `op` under the retry policy only: for whole-batch operations that cannot be skipped.
   * With `finishing`, a stop ends the retries but not the first attempt (see `attemptWhenAborted`).
   */
  retry<T>(stage: ErrorStage, op: () => Promise<T>, finishing = false): Promise<T> {
    return withRetry(op, {
      timeoutMs: this.policy.retryTimeoutMs,
      maxDelayMs: this.policy.retryMaxDelayMs,
      signal: this.signal,
      attemptWhenAborted: finishing,
      onRetry: (err: unknown, attempt: number, delayMs: number) => {
        this.metrics.errors.inc({ ...this.labels, stage, outcome: 'retried' });
        this.logger.warn(`retrying ${stage} after a retriable failure`, { attempt, delayMs, error: String((err as Error)?.message ?? err) });
      },
    });
  }

  async execute<T>(stage: ErrorStage, original: () => DeadLetterPayload, op: () => Promise<T>): Promise<RecordOutcome<T>> {
    try {
      return { ok: true, value: await this.retry(stage, op) };
    } catch (err) {
      if (this.signal.aborted) throw err;
      await this.reject(stage, original, err);
      const failedStage = err instanceof StageError ? err.stage : stage;
      const cause = err instanceof StageError && err.cause instanceof Error ? err.cause : err;
      return { ok: false, stage: failedStage, error: cause instanceof Error ? cause : new Error(String(cause)) };
    }
  }

  /**
   * The slow path of a record stage whose first attempt already failed with `firstError`: the
   * runners try a record without any of this machinery and come here only when it throws, so a
   * record that succeeds costs no closure, promise or retry state. From here on it is exactly
   * `execute`, with the first attempt counted (the retry budget and backoff start at that failure).
   */
  recover<T>(stage: ErrorStage, original: () => DeadLetterPayload, op: () => Promise<T>, firstError: unknown): Promise<RecordOutcome<T>> {
    let failedOnce = false;
    return this.execute(stage, original, () => {
      if (failedOnce) return op();
      failedOnce = true;
      return Promise.reject(firstError);
    });
  }

  /**
   * Applies errors.tolerance to one failed record: throws a FatalError under `none`; under `all`
   * counts, logs (errors.log.enable) and dead-letters it, then returns so processing continues.
   */
  async reject(stage: ErrorStage, original: () => DeadLetterPayload, err: unknown): Promise<void> {
    // As in Kafka Connect, any failure of a record stage (after retries) is that record's
    // problem and falls under errors.tolerance; the stage of a chain failure is its alias.
    const failedStage = err instanceof StageError ? err.stage : stage;
    const cause = err instanceof StageError && err.cause instanceof Error ? err.cause : err;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    if (error instanceof FatalError) {
      // Not this record's problem but the task's (a schema the registry refuses would refuse every
      // record after it): no tolerance applies, the task fails with it.
      this.metrics.errors.inc({ ...this.labels, stage: failedStage, outcome: 'failed' });
      throw error;
    }
    if (this.policy.tolerance === 'none') {
      this.metrics.errors.inc({ ...this.labels, stage: failedStage, outcome: 'failed' });
      throw new FatalError(`${failedStage} failed and errors.tolerance=none: ${error.message}`, { cause: error });
    }
    await this.tolerate(failedStage, original, error, this.policy.logErrors);
  }

  /**
   * A record its connector skips by a policy of its own (SourceRecord.skipReason): counted, logged
   * and dead-lettered as a tolerated error, whatever errors.tolerance says.
   */
  skip(stage: ErrorStage, original: () => DeadLetterPayload, error: Error): Promise<void> {
    return this.tolerate(stage, original, error, true);
  }

  private async tolerate(stage: ErrorStage, original: () => DeadLetterPayload, error: Error, log: boolean): Promise<void> {
    this.metrics.errors.inc({ ...this.labels, stage, outcome: 'skipped' });
    const payload = original();
    if (log) {
      this.logger.error(`record rejected at ${stage}`, {
        error: error.message,
        class: error.name,
        topic: payload.topic,
        partition: payload.partition,
        offset: payload.offset,
      });
    }
    if (this.policy.deadLetter) {
      await this.retry('dead-letter', () => this.policy.deadLetter!.send(payload, stage, error));
      this.metrics.deadLettered.inc(this.labels);
    }
  }
}
