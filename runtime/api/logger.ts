/** Structured fields attached to a log line. Values must be JSON-serialisable. */
export type LogFields = Record<string, unknown>;

/**
 * The logger handed to plugins. The shape matches the subset of pino that conflux uses, so a pino
 * child logger can be passed as is.
 *
 * Contract: log calls never throw and never block on I/O. Messages and fields pass through secret
 * redaction before they are written, but plugins should still not log config values they know to
 * be secret.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger that discards everything; handy in unit tests of plugins. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
