import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { join } from 'node:path';
import { projectRoot } from '../support/project-root.js';
import type { RouteContext } from './context.js';

/**
 * Scripts and styles come from this worker only and nothing runs inline: a value shown by the
 * console (a connector name, a dead-lettered record) can never become code.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web console at `/ui/`: static modules from `console/`, which call the same REST API as
 * everyone else, with the same token and the same Host/Origin checks. The files themselves are
 * public (they hold nothing of this worker), as Swagger UI's are.
 */
export const consolePlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app) => {
  await app.register(fastifyStatic, {
    root: join(projectRoot(), 'console'),
    prefix: '/ui',
    index: 'index.html',
    redirect: true,
    dotfiles: 'deny',
    setHeaders: (reply) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('cache-control', 'no-cache');
    },
  });
};
