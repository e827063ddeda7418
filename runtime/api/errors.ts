/**
 * Errors a plugin throws to tell the runtime what to do next. Anything else a plugin throws is
 * classified by the runtime (network errors are retried, unknown errors fail the task).
 *
 * Messages must not contain secret values: they end up in task status traces, logs and
 * dead-letter headers.
 */
export abstract class ConnectError extends Error {
  /** Discriminant; stable across releases, matched by the runtime's error catalogue. */
  abstract readonly kind: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A transient failure (connection lost, timeout, leader election). The runtime retries the same
 * operation with exponential backoff within `errors.retry.timeout`, then treats it as fatal.
 */
export class RetriableError extends ConnectError {
  readonly kind = 'retriable' as const;
  /**
   * When the plugin knows the failure cannot change before a given time (a wait that ends then),
   * the longest the runtime's backoff sleeps before the next attempt.
   */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * This record cannot be decided yet, but will be without any retry of the operation: a join whose
 * other side has not been read up to this record's event time. A sink task's runtime parks the
 * record (keyed by its Kafka key, later records of the same key queue behind it) and lets every
 * other key go on; it tries the record again from the stage that threw once `wake` settles or
 * `retryAfterMs` has passed, whichever comes first. Committed offsets never pass a parked record.
 * Where nothing can be parked (a source's transforms), it is retried in place like any
 * `RetriableError`.
 */
export class NotYetError extends RetriableError {
  /** Settles when trying again can give another answer (the lookup table read further). */
  readonly wake: PromiseLike<unknown> | undefined;

  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number; wake?: PromiseLike<unknown> }) {
    super(message, options);
    this.wake = options?.wake;
  }
}

/**
 * This record cannot be processed (does not match its schema, cannot be converted). Under
 * `errors.tolerance=all` the record goes to the dead-letter topic and processing continues;
 * under `none` the task fails. Retrying would not help.
 */
export class DataError extends ConnectError {
  readonly kind = 'data' as const;
}

/** One invalid configuration value, named by its dotted key. */
export interface ConfigErrorEntry {
  readonly key: string;
  readonly message: string;
}

/**
 * The configuration is invalid. Thrown by `start()` or `create()` for checks a schema cannot
 * express (a regex that does not compile, mutually exclusive keys). Reported over REST as 400.
 */
export class ConfigError extends ConnectError {
  readonly kind = 'config' as const;
  readonly errors: readonly ConfigErrorEntry[];

  constructor(errors: readonly ConfigErrorEntry[] | string, options?: ErrorOptions) {
    const list: readonly ConfigErrorEntry[] = typeof errors === 'string' ? [{ key: '', message: errors }] : errors;
    super(list.map((e) => (e.key ? `${e.key}: ${e.message}` : e.message)).join('; '), options);
    this.errors = Object.freeze(list.map((e) => Object.freeze({ ...e })));
  }
}

/** The task cannot continue (lost permissions, incompatible remote state). The task goes FAILED. */
export class FatalError extends ConnectError {
  readonly kind = 'fatal' as const;
}
