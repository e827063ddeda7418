import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';

/** `GET /`: the worker's version, as Kafka Connect reports it. */
export const rootPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder, version, commit }) => {
  app.get(
    '/',
    {
      schema: {
        summary: 'Worker version',
        tags: ['worker'],
        response: {
          200: Type.Object({
            version: Type.String(),
            commit: Type.String(),
            kafka_cluster_id: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async () => {
      const clusterId = await herder.kafkaClusterId();
      return { version, commit, ...(clusterId ? { kafka_cluster_id: clusterId } : {}) };
    },
  );
};
