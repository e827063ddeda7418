import { RetriableError } from '../../runtime/api/index.js';

// SQLSTATE classes and codes after which the same transaction may succeed on a new attempt:
// connection exceptions (08), operator intervention (57P01 admin_shutdown when a backend is
// terminated, 57P02 crash_shutdown, 57P03 cannot_connect_now), too many connections,
// serialization failures and deadlocks.
const RETRIABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const RETRIABLE_NODE = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the error means "the connection is gone or the server is busy": retry on a new connection. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || RETRIABLE_CODES.has(code) || RETRIABLE_NODE.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection error and is not queryable|Client was closed|not connected/i.test(message);
}

/** A RetriableError for connection failures (the message never carries the connection string); anything else as is. */
export function classifyPgError(err: unknown, what: string): unknown {
  if (err instanceof RetriableError) return err;
  if (isConnectionError(err)) return new RetriableError(`postgres-sink: ${what} failed, PostgreSQL unreachable: ${(err as Error).message}`, { cause: err });
  return err;
}
