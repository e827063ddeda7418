import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { LogLevel } from '../observability/logging.js';
import type { RouteContext } from './context.js';
import { errorResponses } from './schemas.js';

const tags = ['admin'];

// Kafka Connect speaks log4j level names; pino's are lowercase and call OFF "silent".
const TO_PINO: Record<string, LogLevel> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'fatal', OFF: 'silent' };
const toLog4j = (level: string): string => (level === 'silent' ? 'OFF' : level.toUpperCase());

const LevelBody = Type.Object({ level: Type.String({ description: 'TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF', examples: ['DEBUG'] }) });
// Logger names are dotted component names; anything else (control characters, "__proto__" is
// allowed by the pattern but looked up in a Map) is refused before a logger is created.
const LoggerParams = Type.Object({
  name: Type.String({ description: 'Logger name (root, worker, task.<connector>-<id>, kafkajs, ...)', pattern: '^[A-Za-z0-9._-]{1,249}$' }),
});

/** Log levels, changeable at run time; a level set on `task` covers every `task.*` logger. */
export const adminLoggersPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { logs }) => {
  const audit = logs.get('rest.audit');
  const levels = () => {
    // A null-prototype object: logger names such as "constructor" are plain keys here.
    const out = Object.create(null) as Record<string, { level: string }>;
    for (const [n, l] of logs.levels()) out[n] = { level: toLog4j(l.level) };
    return out;
  };

  app.get('/admin/loggers', { schema: { summary: 'List loggers', tags, response: { 200: Type.Record(Type.String(), LevelBody) } } }, async () => levels());

  app.get(
    '/admin/loggers/:name',
    { schema: { summary: 'Get a logger level', tags, params: LoggerParams, response: { 200: LevelBody, ...errorResponses(404) } } },
    async (request) => {
      const found = logs.levels().get(request.params.name);
      if (!found) throw new NotFoundError(`Logger ${request.params.name} not found`);
      return { level: toLog4j(found.level) };
    },
  );

  app.put(
    '/admin/loggers/:name',
    {
      schema: {
        summary: 'Set a logger level',
        description: 'Sets the level of the logger and of every logger below it; returns the names of the loggers changed.',
        tags,
        params: LoggerParams,
        body: LevelBody,
        response: { 200: Type.Array(Type.String()), ...errorResponses(400) },
      },
    },
    async (request) => {
      const upper = request.body.level.toUpperCase();
      const level = Object.hasOwn(TO_PINO, upper) ? TO_PINO[upper] : undefined;
      if (!level) throw new BadRequestError(`Invalid log level '${request.body.level}': use one of ${Object.keys(TO_PINO).join(', ')}`);
      let changed: string[];
      try {
        changed = logs.setLevel(request.params.name, level).sort();
      } catch (err) {
        if (err instanceof RangeError) throw new BadRequestError(err.message);
        throw err;
      }
      // Not `logger`/`level`: those are the log line's own fields.
      audit.info('log level changed', { target: request.params.name, new_level: toLog4j(level), changed: changed.length, remote: request.ip });
      return changed;
    },
  );
};
