import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BadRequestError, ConfigError, NotFoundError } from '../errors.js';
import { connectorPlugin } from '../worker/plugin-registry.js';
import { toRawConfig, type RouteContext } from './context.js';
import { configInfos, describePlugin } from './plugin-config.js';
import { ConfigInput, errorResponses, QueryBoolean, queryFlag } from './schemas.js';

const tags = ['connector-plugins'];
const PluginParams = Type.Object({ plugin: Type.String({ description: 'Plugin name, as in connector.class or transforms.<alias>.type' }) });

const ConfigKeyInfoSchema = Type.Object({
  name: Type.String(),
  type: Type.Enum(['STRING', 'INT', 'DOUBLE', 'BOOLEAN', 'LIST', 'PASSWORD']),
  required: Type.Boolean(),
  default_value: Type.Union([Type.String(), Type.Null()]),
  importance: Type.String(),
  documentation: Type.String(),
  group: Type.String(),
  width: Type.String(),
  display_name: Type.String(),
  dependents: Type.Array(Type.String()),
  order: Type.Integer(),
  secret: Type.Boolean({ description: 'The value is hidden in every response' }),
});

const ConfigInfosSchema = Type.Object({
  name: Type.String(),
  error_count: Type.Integer(),
  groups: Type.Array(Type.String()),
  configs: Type.Array(
    Type.Object({
      definition: ConfigKeyInfoSchema,
      value: Type.Object({
        name: Type.String(),
        value: Type.Union([Type.String(), Type.Null()]),
        recommended_values: Type.Array(Type.String()),
        errors: Type.Array(Type.String()),
        visible: Type.Boolean(),
      }),
    }),
  ),
});

/** Installed plugins, their config keys, and config validation without creating anything. */
export const connectorPluginsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder, secrets }) => {
  const plugins = herder.plugins;

  app.get(
    '/connector-plugins',
    {
      schema: {
        summary: 'List plugins',
        description: 'Connector plugins; with connectorsOnly=false also transforms and predicates.',
        tags,
        querystring: Type.Object({ connectorsOnly: QueryBoolean(true) }),
        response: {
          200: Type.Array(
            Type.Object({
              class: Type.String(),
              type: Type.Enum(['source', 'sink', 'transformation', 'predicate']),
              version: Type.Optional(Type.String()),
            }),
          ),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const connectors = Object.values(plugins.connectors).map((d) => ({ class: d.name, type: d.type, version: d.version }));
      if (queryFlag(request.query.connectorsOnly)) return connectors;
      return [
        ...connectors,
        ...Object.values(plugins.transforms).map((d) => ({ class: d.name, type: 'transformation' as const, version: d.version })),
        ...Object.values(plugins.predicates).map((d) => ({ class: d.name, type: 'predicate' as const })),
      ];
    },
  );

  app.get(
    '/connector-plugins/:plugin/config',
    {
      schema: {
        summary: 'Describe plugin config',
        description: 'Every key the plugin accepts, derived from its config schema; for connectors the common keys come first.',
        tags,
        params: PluginParams,
        response: { 200: Type.Array(ConfigKeyInfoSchema), ...errorResponses(404) },
      },
    },
    async (request) => {
      const { plugin } = request.params;
      const connector = connectorPlugin(plugins, plugin);
      if (connector) return describePlugin(connector.config, connector.name, connector.type);
      const other = Object.hasOwn(plugins.transforms, plugin)
        ? plugins.transforms[plugin]
        : Object.hasOwn(plugins.predicates, plugin)
          ? plugins.predicates[plugin]
          : undefined;
      if (!other) throw new NotFoundError(`Plugin ${plugin} not found`);
      return describePlugin(other.config, other.name);
    },
  );

  app.put(
    '/connector-plugins/:plugin/config/validate',
    {
      schema: {
        summary: 'Validate a connector config',
        description:
          'Validates a config as create would, without creating anything, and reports every key with its errors (Kafka Connect ConfigInfos). Unknown keys are errors; secret values are hidden.',
        tags,
        params: PluginParams,
        body: ConfigInput,
        response: { 200: ConfigInfosSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { plugin } = request.params;
      const definition = connectorPlugin(plugins, plugin);
      if (!definition) throw new NotFoundError(`Connector plugin ${plugin} not found`);
      const config = toRawConfig(request.body);
      const className = config['connector.class'];
      if (className !== undefined && className !== plugin) {
        throw new BadRequestError(`connector.class "${className}" does not match the plugin in the URL ("${plugin}")`);
      }
      const withClass = { ...config, 'connector.class': plugin };
      let errors: readonly { key: string; message: string }[] = [];
      try {
        await herder.validate(withClass);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        errors = err.errors;
      }
      return configInfos(definition, withClass, errors, plugins, secrets.secretKeysOf(withClass, plugin));
    },
  );
};
