import { ConfigError, ConnectError, DataError, FatalError, NotYetError, RetriableError } from './api/errors.js';

export { ConfigError, ConnectError, DataError, FatalError, NotYetError, RetriableError };
export type { ConfigErrorEntry } from './api/errors.js';

/** The connector or task named in a request does not exist. */
export class NotFoundError extends ConnectError {
  readonly kind = 'not-found' as const;
}

/** The request conflicts with current state (name taken, rebalance in progress). */
export class ConflictError extends ConnectError {
  readonly kind = 'conflict' as const;
}

/** Missing or wrong REST credentials. */
export class UnauthorizedError extends ConnectError {
  readonly kind = 'unauthorized' as const;
}

/** A request the API refuses whoever sends it (a foreign Host or Origin without a token). */
export class ForbiddenError extends ConnectError {
  readonly kind = 'forbidden' as const;
}

/** A malformed request that is not about connector config (bad JSON, bad query parameter). */
export class BadRequestError extends ConnectError {
  readonly kind = 'bad-request' as const;
}

/**
 * Wraps an error raised inside one pipeline stage so that the dead-letter headers and the task
 * trace can name the stage (`transform:<alias>`, `predicate:<alias>`, `convert:value`, ...).
 * {@link classify} looks through it at the cause.
 */
export class StageError extends Error {
  readonly stage: string;
  /**
   * For a failed transform: its position in the chain and the record it was given, so that a
   * record the stage could not decide yet (NotYetError) is tried again from there.
   */
  readonly resume: { readonly index: number; readonly input: unknown } | undefined;

  constructor(stage: string, cause: unknown, resume?: { index: number; input: unknown }) {
    super(`${stage}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StageError';
    this.stage = stage;
    this.resume = resume;
  }
}

export type ErrorKind = 'retriable' | 'data' | 'config' | 'fatal' | 'not-found' | 'conflict' | 'unauthorized' | 'forbidden' | 'bad-request';

/** What the runtime does after an error of this kind. */
export type NextAction = 'retry' | 'dead-letter' | 'reject' | 'fail-task';

export interface CatalogueEntry {
  readonly kind: ErrorKind;
  /** Stable identifier for logs, docs and REST clients. Never reuse or rename one. */
  readonly code: string;
  /** HTTP status when the error reaches the REST layer. */
  readonly status: number;
  readonly next: NextAction;
  readonly description: string;
}

const entries: { [K in ErrorKind]: Omit<CatalogueEntry, 'kind'> } = {
  retriable: {
    code: 'CONFLUX_ERR_RETRIABLE',
    status: 503,
    next: 'retry',
    description:
      'A transient failure (broker or database unreachable, timeout). The operation is retried with exponential backoff within errors.retry.timeout; after that the task fails.',
  },
  data: {
    code: 'CONFLUX_ERR_DATA',
    status: 422,
    next: 'dead-letter',
    description:
      'A record cannot be converted, transformed or written. With errors.tolerance=all it goes to the dead-letter topic and processing continues; with none the task fails.',
  },
  config: {
    code: 'CONFLUX_ERR_CONFIG',
    status: 400,
    next: 'reject',
    description: 'The connector or worker configuration is invalid. The response lists every invalid key.',
  },
  fatal: {
    code: 'CONFLUX_ERR_FATAL',
    status: 500,
    next: 'fail-task',
    description: 'An unexpected error. The task goes to FAILED with the error as trace; restart it after fixing the cause (or enable task.restart.auto).',
  },
  'not-found': {
    code: 'CONFLUX_ERR_NOT_FOUND',
    status: 404,
    next: 'reject',
    description: 'The connector, task or plugin named in the request does not exist.',
  },
  conflict: {
    code: 'CONFLUX_ERR_CONFLICT',
    status: 409,
    next: 'reject',
    description: 'The request conflicts with the current state, for example a connector of that name already exists.',
  },
  unauthorized: {
    code: 'CONFLUX_ERR_UNAUTHORIZED',
    status: 401,
    next: 'reject',
    description: 'The REST request lacks a valid bearer token (rest.auth.token).',
  },
  forbidden: {
    code: 'CONFLUX_ERR_FORBIDDEN',
    status: 403,
    next: 'reject',
    description: 'The REST request comes from a host name or browser origin the API does not answer without a token (DNS rebinding and CSRF protection).',
  },
  'bad-request': {
    code: 'CONFLUX_ERR_BAD_REQUEST',
    status: 400,
    next: 'reject',
    description: 'The request is malformed (invalid JSON, unknown query parameter value).',
  },
};

/** Every error kind with its code, HTTP status and consequence; the REST layer and docs use it. */
export const ERROR_CATALOGUE: readonly CatalogueEntry[] = Object.freeze(
  (Object.keys(entries) as ErrorKind[]).map((kind) => Object.freeze({ kind, ...entries[kind] })),
);

export function catalogueEntry(kind: ErrorKind): CatalogueEntry {
  return ERROR_CATALOGUE.find((e) => e.kind === kind) as CatalogueEntry;
}

const knownKinds = new Set<string>(Object.keys(entries));

// Socket-level failures that a later attempt can get past (server restarting, network blip).
const RETRIABLE_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

// PostgreSQL SQLSTATEs that mean "try again": connection exceptions (class 08), serialization
// failure, deadlock, too many connections, server shutting down.
const RETRIABLE_SQLSTATE = /^(08...|40001|40P01|53300|57P0[1-3])$/;

// MongoDB driver error labels that mark an operation or change stream as safe to resume.
const RETRIABLE_MONGO_LABELS = ['RetryableWriteError', 'ResumableChangeStreamError', 'TransientTransactionError'];

type Props = Record<string, unknown>;

function explicitKind(err: unknown): ErrorKind | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Props;
  if (err instanceof ConnectError && knownKinds.has(err.kind)) return err.kind as ErrorKind;
  if (err instanceof StageError) return explicitKind(err.cause);

  const name = typeof e['name'] === 'string' ? e['name'] : '';
  const code = typeof e['code'] === 'string' ? e['code'] : undefined;

  // kafkajs gives up after its own retries with KafkaJSNumberOfRetriesExceeded (non-retriable by
  // its flag); the runtime's longer backoff can still outlast a broker restart, so look at the cause.
  if (name === 'KafkaJSNumberOfRetriesExceeded') return explicitKind(e['cause']) ?? 'fatal';
  if (name.startsWith('KafkaJS')) return e['retriable'] === true ? 'retriable' : 'fatal';

  if (code !== undefined && RETRIABLE_SYSTEM_CODES.has(code)) return 'retriable';
  if (code !== undefined && RETRIABLE_SQLSTATE.test(code)) return 'retriable';
  if (name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError' || name === 'MongoServerSelectionError') {
    return 'retriable';
  }
  const labels = e['errorLabelSet'] instanceof Set ? [...(e['errorLabelSet'] as Set<unknown>)] : e['errorLabels'];
  if (Array.isArray(labels) && labels.some((l) => RETRIABLE_MONGO_LABELS.includes(String(l)))) return 'retriable';
  // AggregateError from a connect attempt over several addresses (Node's happy eyeballs).
  if (err instanceof AggregateError && err.errors.length > 0 && err.errors.every((x) => explicitKind(x) === 'retriable')) {
    return 'retriable';
  }
  return undefined;
}

/**
 * Maps any thrown value to a catalogue kind: conflux errors by their `kind`; kafkajs errors by
 * their `retriable` flag; Node socket errors, PostgreSQL connection/serialization errors and
 * MongoDB network errors as retriable; everything else as fatal.
 *
 * Inside a {@link StageError} from a transform, predicate or converter, an unrecognised error is
 * a data error instead: as in Kafka Connect, an exception while handling one record in those
 * stages is that record's problem and is subject to `errors.tolerance`.
 */
export function classify(err: unknown): ErrorKind {
  const kind = explicitKind(err);
  if (kind !== undefined) return kind;
  if (err instanceof StageError && isRecordStage(err.stage)) return 'data';
  return 'fatal';
}

/** Stages whose failures concern one record (see {@link classify}). */
export function isRecordStage(stage: string): boolean {
  return /^(transform|predicate|convert)(:|$)/.test(stage);
}

/** True when {@link classify} says another attempt may succeed. */
export function isRetriable(err: unknown): boolean {
  return classify(err) === 'retriable';
}
