import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BadRequestError } from '../errors.js';
import { infoView, keepHiddenSecrets, toRawConfig, type RouteContext } from './context.js';
import { withName } from './connectors.js';
import { ConfigInput, ConfigMap, ConfigPatch, ConnectorInfoSchema, ConnectorNameParams, NewConnectorNameParams, errorResponses } from './schemas.js';

const tags = ['connectors'];

/** `GET|PUT|PATCH /connectors/:name/config`. */
export const connectorConfigPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { herder, secrets } = ctx;

  app.get(
    '/connectors/:name/config',
    {
      schema: {
        summary: 'Get a connector config',
        description: 'The config as given (placeholders unresolved), secret values hidden.',
        tags,
        params: ConnectorNameParams,
        response: { 200: ConfigMap, ...errorResponses(404) },
      },
    },
    async (request) => secrets.redactConfig({ ...herder.config(request.params.name) }),
  );

  app.put(
    '/connectors/:name/config',
    {
      schema: {
        summary: 'Create or replace a connector config',
        description:
          'Creates the connector (201) or replaces its whole config (200); a change restarts its tasks. A secret key sent back as [hidden] keeps its stored value.',
        tags,
        params: NewConnectorNameParams,
        body: ConfigInput,
        response: {
          200: { ...ConnectorInfoSchema, description: 'Updated' },
          201: { ...ConnectorInfoSchema, description: 'Created' },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const config = keepHiddenSecrets(ctx, name, withName(name, toRawConfig(request.body)));
      const { created, info } = await herder.putConnectorConfig(name, config);
      return reply.status(created ? 201 : 200).send(infoView(ctx, info));
    },
  );

  app.patch(
    '/connectors/:name/config',
    {
      schema: {
        summary: 'Patch a connector config',
        description: 'Merges the given keys into the config; a null value removes the key. The result is validated like PUT.',
        tags,
        params: ConnectorNameParams,
        body: ConfigPatch,
        response: { 200: ConnectorInfoSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      for (const [key, value] of Object.entries(request.body)) {
        if (value !== null && !['string', 'number', 'boolean'].includes(typeof value))
          throw new BadRequestError(`body/${key} must be a string, number, boolean or null`);
      }
      const info = await herder.patchConnectorConfig(name, (current) => {
        const merged: Record<string, string> = { ...current };
        for (const [key, value] of Object.entries(request.body)) {
          if (value === null) delete merged[key];
          else merged[key] = String(value);
        }
        return keepHiddenSecrets(ctx, name, withName(name, merged));
      });
      return infoView(ctx, info);
    },
  );
};
