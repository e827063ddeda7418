import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { RouteContext } from './context.js';
import type { HealthReport, ServiceState } from './health-check.js';

const ServiceStateSchema = Type.Enum(['up', 'down', 'disabled', 'unknown']);
const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
  kafka: Type.Optional(ServiceStateSchema),
  schema_registry: Type.Optional(ServiceStateSchema),
  connectors: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Observed state of each connector' })),
});

// Upper bound for a probe, whatever it does: a health endpoint that hangs is worse than one that
// says "unknown".
const PROBE_DEADLINE_MS = 2000;
const unknown: HealthReport = { kafka: 'unknown', schema_registry: 'unknown' };

async function probe(ctx: RouteContext): Promise<HealthReport> {
  if (!ctx.health) return unknown;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<HealthReport>((resolve) => {
    timer = setTimeout(() => resolve({ kafka: 'down' as ServiceState, schema_registry: 'unknown' }), PROBE_DEADLINE_MS);
  });
  try {
    return await Promise.race([ctx.health().catch(() => ({ kafka: 'down', schema_registry: 'unknown' }) as HealthReport), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health`: unauthenticated, for load balancers; 503 when Kafka is unreachable. */
export const healthPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Worker health',
        description:
          'Overall status; 503 when Kafka is unreachable. Needs no token: without one (when rest.auth.token is set) the answer is the status only; with it, also the reachability of Kafka and the Schema Registry and the state of each connector. The probe result is reused for a few seconds.',
        tags: ['health'],
        security: [],
        response: { 200: HealthBody, 503: { ...HealthBody, description: 'Kafka is unreachable' } },
      },
    },
    async (request, reply) => {
      const report = await probe(ctx);
      const healthy = report.kafka !== 'down';
      const status = healthy ? ('healthy' as const) : ('unhealthy' as const);
      // Like KIP-1017: an anonymous caller learns whether the worker is healthy, not what it runs.
      if (!ctx.authorized(request)) return reply.status(healthy ? 200 : 503).send({ status });
      const connectors = Object.fromEntries(ctx.herder.connectorNames().map((n) => [n, ctx.herder.status(n).connector.state]));
      return reply.status(healthy ? 200 : 503).send({ status, ...report, connectors });
    },
  );
};
