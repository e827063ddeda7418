import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import type { LogManager } from '../observability/logging.js';
import type { Herder } from '../herder/herder.js';
import { adminLoggersPlugin } from './admin-loggers.js';
import { installBearerAuth, tokenCheck } from './auth.js';
import { connectorConfigPlugin } from './connector-config.js';
import { connectorPluginsPlugin } from './connector-plugins.js';
import { connectorStatePlugin } from './connector-state.js';
import { consolePlugin } from './console.js';
import { connectorsPlugin } from './connectors.js';
import type { RouteContext } from './context.js';
import { docsPlugin } from './docs.js';
import { installErrorHandler, requestSecrets, scrubbedBodies } from './error-handler.js';
import { cachedProbe, type HealthProbe } from './health-check.js';
import { healthPlugin } from './health.js';
import { metricsPlugin } from './metrics-route.js';
import { offsetsPlugin } from './offsets.js';
import { deadLettersPlugin } from './dead-letters.js';
import { snapshotsPlugin } from './snapshots.js';
import { installOriginCheck } from './origin-check.js';
import { swaggerOptions } from './openapi.js';
import { rootPlugin } from './root.js';
import { ErrorBodySchema, ErrorCodeSchema, commonErrorResponse, errorDescription } from './schemas.js';
import { Secrets } from './secrets.js';
import { packageVersion } from '../support/project-root.js';

/** Kafka Connect's default REST port. */
export const DEFAULT_REST_PORT = 8083;
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface RestOptions {
  herder: Herder;
  logs: LogManager;
  /** When set, every route except `GET /health` requires `Authorization: Bearer <token>`. */
  authToken?: string | undefined;
  /** Reported by `GET /`; defaults to package.json's version. */
  version?: string;
  /** Reported by `GET /`; the build's git commit when known. */
  commit?: string;
  /** Maximum request body in bytes (default 1 MiB). */
  /** Serve over TLS only: the PEM key and certificate (chain), and the key's passphrase if it has one. */
  https?: { key: Buffer; cert: Buffer; passphrase?: string };
  bodyLimit?: number;
  /** Dependency check behind `GET /health` (see `probeServices`); without it they are reported unknown. */
  health?: HealthProbe;
  /**
   * Without `authToken`: host names accepted in the Host header besides localhost, 127.0.0.1 and
   * [::1] (the listen address, `rest.allowed.hosts`). Requests naming another host, or coming from
   * a browser page of another origin, get 403.
   */
  allowedHosts?: readonly string[];
  /** How long one `health` probe result is reused (HEALTH_CACHE_MS by default). */
  healthCacheMs?: number;
}

const SUCCESS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content' };

/**
 * Every route answers 401 when a token is required and 500 on an unexpected error, and a route
 * with a body 400/413: added here once rather than in each route, so the OpenAPI document lists
 * them everywhere without the route files repeating it.
 */
function addCommonResponses(schema: FastifySchema & { hide?: boolean }): void {
  if (schema.hide) return;
  const response = (schema.response ??= {}) as Record<number, object>;
  for (const [status, entry] of Object.entries(response)) {
    // Without a description the document would say "Default Response" for every success.
    if (!('description' in entry)) response[Number(status)] = { ...entry, description: SUCCESS[Number(status)] ?? 'Success' };
  }
  const add = (status: number) => (response[status] ??= commonErrorResponse(errorDescription(status)));
  if (!(Array.isArray(schema.security) && schema.security.length === 0)) add(401);
  add(403);
  if (schema.body) {
    add(400);
    add(413);
  }
  add(500);
}

/**
 * Builds the REST control plane: a fastify app with one plugin per resource, not listening.
 * The caller listens (on {@link DEFAULT_REST_PORT} by default) and closes it.
 */
export function buildApp(options: RestOptions): FastifyInstance {
  const { herder, logs } = options;
  const app = fastify({
    ...(options.https ? { https: options.https } : {}),
    loggerInstance: logs.get('rest').child as unknown as FastifyBaseLogger,
    // One line per request would drown the worker's own logs; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const secrets = new Secrets(herder.plugins, logs);
  const version = options.version ?? packageVersion();
  const authorized = options.authToken ? tokenCheck(options.authToken) : () => true;
  const ctx: RouteContext = {
    herder,
    logs,
    secrets,
    version,
    commit: options.commit ?? 'unknown',
    health: cachedProbe(options.health, options.healthCacheMs),
    authorized,
  };

  app.addSchema(ErrorCodeSchema);
  app.addSchema(ErrorBodySchema);
  app.addHook('onRoute', (route) => {
    if (route.schema) addCommonResponses(route.schema as FastifySchema);
  });
  installErrorHandler(app, secrets, logs.get('rest'));
  // Every JSON response goes through the one scrub: resolved secrets and the secret values the
  // request carried are removed from every string, whatever route built the body.
  app.addHook('preSerialization', async (request, _reply, payload) =>
    typeof payload === 'object' && payload !== null && scrubbedBodies.has(payload) ? payload : secrets.scrubBody(payload, requestSecrets(request, secrets)),
  );
  if (options.authToken) installBearerAuth(app, options.authToken);
  else installOriginCheck(app, options.allowedHosts ?? []);

  void app.register(swagger, swaggerOptions(version));
  for (const plugin of [
    rootPlugin,
    connectorsPlugin,
    connectorConfigPlugin,
    connectorStatePlugin,
    offsetsPlugin,
    deadLettersPlugin,
    snapshotsPlugin,
    connectorPluginsPlugin,
    adminLoggersPlugin,
    healthPlugin,
    metricsPlugin,
    docsPlugin,
    consolePlugin,
  ]) {
    void app.register(plugin, ctx);
  }
  return app as unknown as FastifyInstance;
}
