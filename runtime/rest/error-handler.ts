import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../api/index.js';
import { ConfigError, ConnectError, catalogueEntry, classify, type ConfigErrorEntry, type ErrorKind } from '../errors.js';
import { SCRUB_FAILED } from '../observability/logging.js';
import type { Secrets } from './secrets.js';

/** The error body of every non-2xx response: Kafka Connect's shape plus the catalogue code. */
export interface ErrorBody {
  error_code: number;
  message: string;
  code: string;
  errors?: ConfigErrorEntry[];
}

export function errorBody(kind: ErrorKind, message: string, status = catalogueEntry(kind).status, errors?: readonly ConfigErrorEntry[]): ErrorBody {
  return { error_code: status, message, code: catalogueEntry(kind).code, ...(errors ? { errors: errors.map((e) => ({ ...e })) } : {}) };
}

/**
 * Every invalid key with its problem, so that a user sees them all without parsing `errors`. One
 * line (`; `-separated) because clients print it in logs and one-line CLI errors.
 */
export function configErrorMessage(errors: readonly ConfigErrorEntry[]): string {
  const parts = errors.map((e) => (e.key ? `${e.key}: ${e.message}` : e.message));
  return `Connector configuration is invalid and contains the following ${errors.length} error(s): ${parts.join('; ')}`;
}

function isFastifyClientError(err: FastifyError): boolean {
  return typeof err.code === 'string' && err.code.startsWith('FST_') && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500;
}

/** What a client is told of a failure that is not its own: the details are in the worker's log. */
export const INTERNAL_ERROR = 'Internal server error (the worker log has the details)';

/** A body that could not be scrubbed: nothing of it is sent (see installErrorHandler). */
export class ScrubFailedError extends Error {
  constructor() {
    super(INTERNAL_ERROR);
    this.name = 'ScrubFailedError';
  }
}

/** Maps any error to a status and a body; the body never carries a stack. */
export function toErrorBody(err: FastifyError | Error): ErrorBody {
  const e = err as FastifyError;
  if (err instanceof ScrubFailedError) return errorBody('fatal', INTERNAL_ERROR);
  // A response that fastify could not serialize: its message may quote the value it choked on.
  if (typeof e.code === 'string' && /^FST_ERR_(FAILED_ERROR_SERIALIZATION|REP_|RESPONSE_SERIALIZATION|SCH_SERIALIZATION)/.test(e.code)) {
    return errorBody('fatal', INTERNAL_ERROR);
  }
  if (e.validation) return errorBody('bad-request', e.message);
  if (err instanceof ConfigError) return errorBody('config', configErrorMessage(err.errors), 400, err.errors);
  if (err instanceof ConnectError) return errorBody(classify(err), err.message);
  if (isFastifyClientError(e)) return errorBody('bad-request', e.message, e.statusCode);
  const kind = classify(err);
  // A failure that is not the client's is reported by its kind; its message (which may quote
  // data: a serializer's value, a driver's connection string) and stack go to the log only.
  return kind === 'retriable' ? errorBody('retriable', err.message || 'Service unavailable') : errorBody('fatal', INTERNAL_ERROR);
}

/** Secret values the request itself carried (a config in the body), to strip from its response. */
export function requestSecrets(request: FastifyRequest, secrets: Secrets): string[] {
  const body = request.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return [];
  const config = typeof body['config'] === 'object' && body['config'] !== null ? (body['config'] as Record<string, unknown>) : body;
  const plugin = (request.params as Record<string, string> | undefined)?.['plugin'];
  return secrets.secretValues(config, plugin);
}

/**
 * Error bodies the handler below built and scrubbed already: the preSerialization hook passes them
 * through, so that a scrubber that fails cannot make fastify answer with its own error text.
 */
export const scrubbedBodies = new WeakSet<object>();

/** The app's only error handler: the catalogue decides the status, secrets are scrubbed. */
export function installErrorHandler(app: FastifyInstance, secrets: Secrets, logger: Logger): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // Fails closed: when anything here cannot be scrubbed, the client gets a generic 500 and the
    // log a marker; neither gets the text that could not be scrubbed.
    let body: ErrorBody;
    try {
      const extra = requestSecrets(request, secrets);
      // Message, keys and messages of `errors`: every string of the body.
      body = secrets.scrubBody(toErrorBody(err), extra) as ErrorBody;
      if (typeof body !== 'object' || body === null || typeof body.error_code !== 'number') throw new ScrubFailedError();
      if (body.error_code >= 500) {
        logger.error('request failed', { method: request.method, url: request.url, error: secrets.scrub(err.stack ?? err.message, extra) });
      }
    } catch {
      body = errorBody('fatal', INTERNAL_ERROR);
      logger.error('request failed', { method: request.method, url: request.url, error: SCRUB_FAILED });
    }
    scrubbedBodies.add(body);
    return reply.status(body.error_code).send(body);
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send(errorBody('not-found', `Route ${request.method} ${request.url.split('?')[0]} not found`)));
}
