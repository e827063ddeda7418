import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** `GET /metrics`: the worker's Prometheus registry in the text exposition format. */
export const metricsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder, secrets }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description: 'Records, errors, latencies, consumer lag and task states, labelled by connector and task.',
        tags: ['metrics'],
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    // Text skips the JSON scrub hook; a label (a topic, a connector's value) can still carry a secret.
    async (_request, reply) => reply.type(PROMETHEUS_TEXT).send(secrets.scrub(await herder.metrics.text())),
  );
};
