import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { postgresSink } from '../connectors/postgres-sink/index.js';
import { validateConnectorConfig } from '../runtime/config/index.js';
import { createConverter } from '../runtime/converters/index.js';
import { RecordErrorHandler } from '../runtime/tasks/record-errors.js';
import { LogManager } from '../runtime/observability/logging.js';
import { WorkerMetrics } from '../runtime/observability/metrics.js';
import { transformLookup, type PluginRegistry } from '../runtime/worker/plugin-registry.js';
import { batchSettings } from '../runtime/sink/batch.js';
import { SinkTaskRunner } from '../runtime/sink/runner.js';
import { LookupTableRegistry } from '../runtime/lookup-tables/registry.js';
import { buildTransformChain } from '../runtime/tasks/transform-chain.js';

/**
 * One postgres-sink task wired the way the worker wires a sink task, plus the worker's lookup
 * tables for EnrichCustomer (the worker does not hand them to transform chains yet).
 */
export function sinkTaskWithTables(o: { kafka: Kafka; registry: SchemaRegistry; plugins: PluginRegistry; name: string; config: Record<string, string> }) {
  const lookup = transformLookup(o.plugins);
  const v = validateConnectorConfig(postgresSink.config, o.config, { kind: 'sink', lookup });
  if (!v.ok) throw new Error(`bad sink config: ${JSON.stringify(v.errors)}`);
  const logs = new LogManager({ level: 'warn' });
  const logger = logs.get(`task.${o.name}-0`);
  const metrics = new WorkerMetrics();
  const abort = new AbortController();
  const cfg = v.config;
  const tables = new LookupTableRegistry({ kafka: o.kafka, logger, workerId: 'bench' });
  const keyConverter = createConverter(cfg['key.converter'], 'key', o.registry);
  const valueConverter = createConverter(cfg['value.converter'], 'value', o.registry);
  const errors = new RecordErrorHandler(
    { tolerance: cfg['errors.tolerance'], retryTimeoutMs: cfg['errors.retry.timeout'], retryMaxDelayMs: cfg['errors.retry.delay.max.ms'], logErrors: false },
    { connector: o.name, task: '0' },
    metrics,
    logger,
    abort.signal,
  );
  const taskMetrics = metrics.forTask(o.name, 0);
  const runner = new SinkTaskRunner({
    connector: o.name,
    taskId: 0,
    task: postgresSink.createTask(),
    taskConfig: postgresSink.taskConfigs(cfg as never, 1)[0],
    kafka: o.kafka,
    topics: String(cfg.topics)
      .split(',')
      .map((s) => s.trim()),
    keyConverter,
    valueConverter,
    buildChain: () => buildTransformChain(v.transforms, lookup, { logger, metrics: taskMetrics, tables: tables.forChain(keyConverter, valueConverter) }),
    errors,
    abort,
    metrics,
    logger,
    context: { connector: o.name, taskId: 0, logger, metrics: taskMetrics, reportProgress: () => undefined },
    batch: batchSettings(cfg as Record<string, unknown>),
  });
  return { runner, tables, metrics };
}
