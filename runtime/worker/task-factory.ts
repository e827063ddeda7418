import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, Producer } from 'kafkajs';
import type { TaskProgress } from '../api/index.js';
import { parseList, type SinkConnectorConfig, type SourceConnectorConfig } from '../config/connector-schema.js';
import { createConverter } from '../converters/index.js';
import { DeadLetterWriter } from '../tasks/dead-letter.js';
import { RecordErrorHandler, type ErrorPolicy } from '../tasks/record-errors.js';
import type { LogManager } from '../observability/logging.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { OffsetStore } from '../offsets/store.js';
import { transformLookup, type PluginRegistry } from './plugin-registry.js';
import { batchSettings } from '../sink/batch.js';
import { SinkTaskRunner } from '../sink/runner.js';
import { SourceTaskRunner } from '../source/runner.js';
import type { LookupTableRegistry } from '../lookup-tables/registry.js';
import type { TaskRunner } from '../tasks/task-runner.js';
import { buildTransformChain } from '../tasks/transform-chain.js';
import type { ConnectorInstance, TaskSlot } from './connector-instance.js';

export interface TaskFactoryOptions {
  plugins: PluginRegistry;
  kafka: Kafka;
  schemaRegistry?: SchemaRegistry;
  offsetStore: OffsetStore;
  logs: LogManager;
  metrics: WorkerMetrics;
  tables: LookupTableRegistry;
  /** Group settings of the sink tasks' consumers (worker keys consumer.*); kafkajs's defaults when absent. */
  sinkConsumer?: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
}

/**
 * Builds the runner of one task from its connector's validated config: converters, transform
 * chain, error policy and dead-letter writer. Owns the dead-letter producer every task shares.
 */
export class TaskFactory {
  private dlqProducer: Producer | undefined;

  constructor(private readonly o: TaskFactoryOptions) {}

  createRunner(c: ConnectorInstance, slot: TaskSlot): TaskRunner {
    const abort = new AbortController();
    const logger = this.o.logs.get(`task.${c.name}-${slot.id}`);
    const cfg = c.config;
    const labels = { connector: c.name, task: String(slot.id) };
    const dlqTopic = cfg['errors.deadletterqueue.topic.name'];
    const policy: ErrorPolicy = {
      tolerance: cfg['errors.tolerance'],
      retryTimeoutMs: cfg['errors.retry.timeout'],
      retryMaxDelayMs: cfg['errors.retry.delay.max.ms'],
      logErrors: cfg['errors.log.enable'],
      ...(dlqTopic
        ? {
            deadLetter: new DeadLetterWriter(
              this.dlqProducerClient(),
              dlqTopic,
              c.name,
              slot.id,
              {
                context: cfg['errors.deadletterqueue.context.headers.enable'],
                stackTrace: cfg['errors.deadletterqueue.context.headers.stacktrace'],
              },
              (t) => this.o.logs.scrub(t),
            ),
          }
        : {}),
    };
    const errors = new RecordErrorHandler(policy, labels, this.o.metrics, logger, abort.signal);
    const keyConverter = createConverter(cfg['key.converter'], 'key', this.o.schemaRegistry);
    const valueConverter = createConverter(cfg['value.converter'], 'value', this.o.schemaRegistry);
    // Progress belongs to this runner: a runner still stopping cannot overwrite its successor's.
    const progress = { entries: [] as TaskProgress[] };
    slot.progress = progress;
    const reportProgress = (entries: readonly TaskProgress[]) => {
      if (slot.progress === progress) progress.entries = entries.map((p) => ({ ...p }));
    };
    const context = { connector: c.name, taskId: slot.id, logger, metrics: this.o.metrics.forTask(c.name, slot.id), reportProgress };
    // Lookup tables a transform opens are decoded with the connector's converters and shared by
    // every task of this worker that opens the same topic.
    const buildChain = () =>
      buildTransformChain(c.transforms, transformLookup(this.o.plugins), {
        logger,
        metrics: context.metrics,
        tables: this.o.tables.forChain(keyConverter, valueConverter),
      });
    if (c.definition.type === 'source') {
      return new SourceTaskRunner({
        connector: c.name,
        taskId: slot.id,
        task: c.definition.createTask(),
        taskConfig: slot.config,
        kafka: this.o.kafka,
        keyConverter,
        valueConverter,
        buildChain,
        offsetStore: this.o.offsetStore,
        errors,
        abort,
        offsetFlushIntervalMs: cfg['offset.flush.interval.ms'],
        maxInFlightBatches: (cfg as SourceConnectorConfig)['max.in.flight.batches'],
        maxRequestBytes: (cfg as SourceConnectorConfig)['producer.max.request.size'],
        taskCount: c.tasks.length,
        metrics: this.o.metrics,
        logger,
        context,
      });
    }
    return new SinkTaskRunner({
      connector: c.name,
      taskId: slot.id,
      task: c.definition.createTask(),
      taskConfig: slot.config,
      kafka: this.o.kafka,
      topics: parseList(cfg.topics as string | undefined),
      keyConverter,
      valueConverter,
      buildChain,
      errors,
      abort,
      metrics: this.o.metrics,
      logger,
      context,
      batch: batchSettings(cfg as Record<string, unknown>),
      parking: { maxRecords: (cfg as SinkConnectorConfig)['parking.max.records'], maxBytes: (cfg as SinkConnectorConfig)['parking.max.bytes'] },
      ...(this.o.sinkConsumer ? { group: this.o.sinkConsumer } : {}),
    });
  }

  async close(): Promise<void> {
    await this.dlqProducer?.disconnect().catch(() => undefined);
  }

  private dlqProducerClient(): Producer {
    if (!this.dlqProducer) {
      const producer = this.o.kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1 });
      // Connect on first use, and again after a failed attempt: a worker may start before Kafka.
      let connected: Promise<void> | undefined;
      const send = producer.send.bind(producer);
      producer.send = async (record) => {
        connected ??= producer.connect().catch((err: unknown) => {
          connected = undefined;
          throw err;
        });
        await connected;
        return send(record);
      };
      this.dlqProducer = producer;
    }
    return this.dlqProducer;
  }
}
