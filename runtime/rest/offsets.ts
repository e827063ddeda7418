import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';
import { ConnectorNameParams, MessageBody, OffsetEntry, errorResponses } from './schemas.js';

const tags = ['offsets'];
const Offsets = Type.Object({ offsets: Type.Array(OffsetEntry) });

/** KIP-875 offsets: readable at any time, changeable only while the connector is STOPPED. */
export const offsetsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder }) => {
  app.get(
    '/connectors/:name/offsets',
    {
      schema: {
        summary: 'Get connector offsets',
        description: 'Source partitions and offsets for a source connector; consumer group positions for a sink connector.',
        tags,
        params: ConnectorNameParams,
        response: { 200: Offsets, ...errorResponses(404, 503) },
      },
    },
    async (request) => ({ offsets: await herder.offsets(request.params.name) }),
  );

  app.patch(
    '/connectors/:name/offsets',
    {
      schema: {
        summary: 'Alter connector offsets',
        description:
          'Sets the given offsets (null removes one). The connector must be STOPPED, else 400. Partitions and offsets are JSON objects at most 16 levels deep and 16 KiB each, else 400.',
        tags,
        params: ConnectorNameParams,
        body: Offsets,
        response: { 200: MessageBody, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      await herder.alterOffsets(request.params.name, request.body.offsets);
      return { message: 'The offsets for this connector have been altered successfully' };
    },
  );

  app.delete(
    '/connectors/:name/offsets',
    {
      schema: {
        summary: 'Reset connector offsets',
        description: 'Removes every offset so the connector starts from the beginning. The connector must be STOPPED, else 400.',
        tags,
        params: ConnectorNameParams,
        response: { 200: MessageBody, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      await herder.resetOffsets(request.params.name);
      return { message: 'The offsets for this connector have been reset successfully' };
    },
  );
};
