import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';

/**
 * Swagger UI at `/docs`, served from the @fastify/swagger-ui package itself (no CDN: the worker
 * often runs where the internet is not reachable), and the raw document at `/openapi.json`.
 */
export const docsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app) => {
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true, docExpansion: 'list' } });

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'OpenAPI document',
        description: 'This API as OpenAPI 3.0 (the same content as openapi.yaml).',
        tags: ['docs'],
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3.0 document' }) },
      },
    },
    async () => app.swagger(),
  );
};
