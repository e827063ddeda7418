import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';

/** `GET /`: the worker's version, as Kafka Connect reports it, and which worker of which cluster answered. */
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
            worker_id: Type.String({ description: 'The worker that answered, as status entries name it.' }),
            group_id: Type.Optional(Type.String({ description: 'Distributed mode: the group (cluster) the worker belongs to.' })),
            leader_id: Type.Optional(Type.String({ description: 'Distributed mode: the worker that leads the group, as of the last rebalance.' })),
          }),
        },
      },
    },
    async () => {
      const clusterId = await herder.kafkaClusterId();
      return {
        version,
        commit,
        ...(clusterId ? { kafka_cluster_id: clusterId } : {}),
        worker_id: herder.id,
        ...(herder.groupId ? { group_id: herder.groupId } : {}),
        ...(herder.leaderId ? { leader_id: herder.leaderId } : {}),
      };
    },
  );
};
