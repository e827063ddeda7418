import { resolve } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { ConfigError, isLiteralOnlySchema } from '../api/index.js';
import { MAX_CONFIG_KEYS, isLiteralConnectorKey, lookupFromMaps, parseList, resolvePlaceholders, type WorkerConfig } from '../config/index.js';
import { connectorMarkedKeys } from '../config/marked-keys.js';
import { restrictedSources } from '../config/providers.js';
import { kafkaClient } from '../kafka/client.js';
import { LogManager } from '../observability/logging.js';
import { WorkerMetrics } from '../observability/metrics.js';
import { FileOffsetStore } from '../offsets/file-store.js';
import { KafkaOffsetStore } from '../offsets/kafka-store.js';
import type { OffsetStore } from '../offsets/store.js';
import { connectorPlugin, type PluginRegistry } from './plugin-registry.js';
import { Worker, type ConnectorConfigStore, type RawConfig } from './worker.js';

export interface CreateWorkerOptions {
  logs?: LogManager;
  configStore?: ConnectorConfigStore;
  /** Environment for `${env:..}` placeholders; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Directory of the worker config file: the default of `config.providers.file.allowed.paths`.
   * `config` below the working directory when not given.
   */
  configDir?: string;
  /** Where source offsets are stored, instead of the one the config names (tests observe commits with it). */
  offsetStore?: OffsetStore;
  /** The Kafka client, when the caller shares it (distributed mode); built from the config otherwise. */
  kafka?: Kafka;
}

/** Wires a Worker from a validated worker config: Kafka client, Schema Registry, offset store. */
export function createWorker(config: WorkerConfig, plugins: PluginRegistry, opts: CreateWorkerOptions = {}): Worker {
  const lookup = lookupFromMaps(plugins.transforms, plugins.predicates);
  const logs = opts.logs ?? new LogManager();
  const env = opts.env ?? process.env;
  // Connector configs come from REST callers: their placeholders read only what the operator allowed.
  const sources = restrictedSources({
    env,
    allowedPaths: parseList(config['config.providers.file.allowed.paths'] ?? opts.configDir ?? 'config'),
    envAllowlist: parseList(config['config.providers.env.allowlist']),
  });
  const kafka = opts.kafka ?? kafkaClient(config, logs);
  const schemaRegistry = config['schema.registry.url'] ? new SchemaRegistry({ host: config['schema.registry.url'] }) : undefined;
  const offsetStore: OffsetStore =
    opts.offsetStore ??
    (config['offset.storage'] === 'kafka'
      ? new KafkaOffsetStore(kafka, config['offset.storage.topic'], config['offset.storage.replication.factor'])
      : new FileOffsetStore(resolve(config['offset.storage.file.filename'])));
  return new Worker({
    workerId: config['worker.id'],
    plugins,
    kafka,
    ...(schemaRegistry ? { schemaRegistry } : {}),
    offsetStore,
    logs,
    metrics: new WorkerMetrics(),
    sinkConsumer: { sessionTimeoutMs: config['consumer.session.timeout.ms'], heartbeatIntervalMs: config['consumer.heartbeat.interval.ms'] },
    resolveConfig: async (raw: RawConfig) => {
      if (Object.keys(raw).length > MAX_CONFIG_KEYS)
        throw new ConfigError([{ key: '', message: `a connector config may have at most ${MAX_CONFIG_KEYS} keys` }]);
      // Keys a plugin marks literal-only (they name topics) join the runtime's own.
      const plugin = connectorPlugin(plugins, String(raw['connector.class'] ?? ''));
      const marked = connectorMarkedKeys(raw, plugin?.config, lookup, isLiteralOnlySchema);
      const resolved = await resolvePlaceholders({ ...raw }, sources, { literal: (key) => isLiteralConnectorKey(key) || marked.has(key) });
      if (!resolved.ok) throw new ConfigError(resolved.errors);
      return { config: resolved.config, secrets: [...resolved.secrets] };
    },
    restartPolicy: {
      enabled: config['task.restart.auto'],
      initialDelayMs: config['task.restart.backoff.initial.ms'],
      maxDelayMs: config['task.restart.backoff.max.ms'],
      maxAttempts: config['task.restart.max.attempts'],
      healthyMs: config['task.restart.healthy.ms'],
    },
    ...(opts.configStore ? { configStore: opts.configStore } : {}),
  });
}
