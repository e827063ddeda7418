import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { connectorSummaries } from '../observability/connector-summary.js';
import type { RouteContext } from './context.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

const Histogram = Type.Object({
  buckets: Type.Array(
    Type.Object({ le: Type.Number({ description: 'Upper bound, seconds' }), count: Type.Number({ description: 'Observations at or below it' }) }),
  ),
  count: Type.Number(),
  sum: Type.Number({ description: 'Seconds' }),
});

const Summary = Type.Object({
  sourceRecordsPolled: Type.Number(),
  sourceRecordsProduced: Type.Number(),
  sinkRecordsConsumed: Type.Number(),
  sinkRecordsWritten: Type.Number(),
  recordsDeadLettered: Type.Number(),
  recordsFiltered: Type.Number(),
  errors: Type.Number(),
  tasksRunning: Type.Number(),
  recordsParked: Type.Number(),
  consumerLag: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), records: Type.Number() })),
  watermarkLagSeconds: Type.Record(Type.String(), Type.Number(), { description: 'Per topic, the least caught-up task' }),
  endToEndLatency: Histogram,
});

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

  app.get(
    '/metrics/connectors',
    {
      schema: {
        summary: 'Metrics per connector, as JSON',
        description:
          "This worker's metrics summed per connector over its tasks: cumulative counters (rates come from the difference of two samples), current gauges and the end-to-end latency histogram. The web console charts them. In a cluster, each worker reports the tasks it runs.",
        tags: ['metrics'],
        response: { 200: Type.Object({ time: Type.Integer({ description: 'Epoch ms of the sample' }), connectors: Type.Record(Type.String(), Summary) }) },
      },
    },
    async () => ({ time: Date.now(), connectors: await connectorSummaries(herder.metrics.registry) }),
  );
};
