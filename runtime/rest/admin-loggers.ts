import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { LogLevel } from '../logging.js';
import type { RouteContext } from './context.js';
import { errorResponses } from './schemas.js';

const tags = ['admin'];

// Kafka Connect speaks log4j level names; pino's are lowercase and call OFF "silent".
const TO_PINO: Record<string, LogLevel> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'fatal', OFF: 'silent' };
const toLog4j = (level: string): string => (level === 'silent' ? 'OFF' : level.toUpperCase());

const LevelBody = Type.Object({ level: Type.String({ description: 'TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF', examples: ['DEBUG'] }) });
const LoggerParams = Type.Object({ name: Type.String({ description: 'Logger name (root, worker, task.<connector>-<id>, kafkajs, ...)' }) });

/** Log levels, changeable at run time; a level set on `task` covers every `task.*` logger. */
export const adminLoggersPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { logs }) => {
  const levels = () => Object.fromEntries(Object.entries(logs.levels()).map(([n, l]) => [n, { level: toLog4j(l.level) }]));

  app.get(
    '/admin/loggers',
    { schema: { summary: 'List loggers', tags, response: { 200: Type.Record(Type.String(), LevelBody) } } },
    async () => levels(),
  );

  app.get(
    '/admin/loggers/:name',
    { schema: { summary: 'Get a logger level', tags, params: LoggerParams, response: { 200: LevelBody, ...errorResponses(404) } } },
    async (request) => {
      const found = levels()[request.params.name];
      if (!found) throw new NotFoundError(`Logger ${request.params.name} not found`);
      return found;
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
      const level = TO_PINO[request.body.level.toUpperCase()];
      if (!level) throw new BadRequestError(`Invalid log level '${request.body.level}': use one of ${Object.keys(TO_PINO).join(', ')}`);
      return logs.setLevel(request.params.name, level).sort();
    },
  );
};
