import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ConfigError } from '../errors.js';
import type { RawConfig } from '../worker/worker.js';
import { infoView, statusView, toRawConfig, type RouteContext } from './context.js';
import {
  CONNECTOR_NAME_PATTERN,
  ConfigInput,
  ConnectorInfoSchema,
  ConnectorNameParams,
  ConnectorStatusSchema,
  TargetStateSchema,
  emptyResponse,
  errorResponses,
} from './schemas.js';

const tags = ['connectors'];

const ExpandedConnector = Type.Object({
  status: Type.Optional(ConnectorStatusSchema),
  info: Type.Optional(ConnectorInfoSchema),
});

/**
 * Kafka Connect copies the connector name into the config; a different `name` in the config is
 * a mistake the user must fix, not something to silently override.
 */
export function withName(name: string, config: RawConfig): RawConfig {
  const inConfig = config['name'];
  if (inConfig !== undefined && inConfig !== name) {
    throw new ConfigError([{ key: 'name', message: `must equal the connector name "${name}" (got "${inConfig}")` }]);
  }
  return { ...config, name };
}

/** The connector collection: list (with `expand`), create, read, delete. */
export const connectorsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { herder } = ctx;

  app.get(
    '/connectors',
    {
      schema: {
        summary: 'List connectors',
        description:
          'Names of the connectors on this worker. With expand=status and/or expand=info (repeatable), a map from name to the requested details instead.',
        tags,
        querystring: Type.Object({
          expand: Type.Optional(Type.Array(Type.Union([Type.Literal('status'), Type.Literal('info')]), { description: 'status, info, or both' })),
        }),
        response: {
          200: Type.Union([Type.Array(Type.String()), Type.Record(Type.String(), ExpandedConnector)]),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const expand = new Set(request.query.expand ?? []);
      const names = herder.connectorNames();
      if (expand.size === 0) return names;
      return Object.fromEntries(
        names.map((name) => [
          name,
          {
            ...(expand.has('status') ? { status: statusView(ctx, name) } : {}),
            ...(expand.has('info') ? { info: infoView(ctx, herder.info(name)) } : {}),
          },
        ]),
      );
    },
  );

  app.post(
    '/connectors',
    {
      schema: {
        summary: 'Create a connector',
        description: 'Validates the config against the plugin schema and starts the connector in initial_state (RUNNING by default).',
        tags,
        body: Type.Object({
          name: Type.String({ pattern: CONNECTOR_NAME_PATTERN, description: 'Connector name' }),
          config: ConfigInput,
          initial_state: Type.Optional(TargetStateSchema),
        }),
        response: { 201: ConnectorInfoSchema, ...errorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const { name, config, initial_state } = request.body;
      const info = await herder.createConnector(name, withName(name, toRawConfig(config)), initial_state ?? 'RUNNING');
      return reply.status(201).send(infoView(ctx, info));
    },
  );

  app.get(
    '/connectors/:name',
    {
      schema: {
        summary: 'Get a connector',
        description: 'Name, config (secrets hidden), tasks and type.',
        tags,
        params: ConnectorNameParams,
        response: { 200: ConnectorInfoSchema, ...errorResponses(404) },
      },
    },
    async (request) => infoView(ctx, herder.info(request.params.name)),
  );

  app.delete(
    '/connectors/:name',
    {
      schema: {
        summary: 'Delete a connector',
        description: 'Stops its tasks (they commit their offsets) and removes its config. Offsets are kept.',
        tags,
        params: ConnectorNameParams,
        response: { 204: emptyResponse('Deleted'), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await herder.deleteConnector(request.params.name);
      return reply.status(204).send();
    },
  );
};
