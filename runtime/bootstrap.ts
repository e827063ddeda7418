import { resolve } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel as kafkaLogLevel, type logCreator } from 'kafkajs';
import { ConfigError } from './api/index.js';
import { MAX_CONFIG_KEYS, isLiteralConnectorKey, parseList, resolvePlaceholders, validateWorkerConfig, type WorkerConfig } from './config/index.js';
import { restrictedSources, unrestrictedSources } from './config/providers.js';
import { LogManager } from './logging.js';
import { WorkerMetrics } from './metrics.js';
import { FileOffsetStore } from './offsets/file-store.js';
import { KafkaOffsetStore } from './offsets/kafka-store.js';
import type { OffsetStore } from './offsets/store.js';
import type { PluginRegistry } from './plugins.js';
import { DistributedHerder } from './herder/distributed-herder.js';
import { StandaloneHerder } from './herder/standalone-herder.js';
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

/** Resolves placeholders in a worker config and validates it; throws ConfigError with every error. */
export async function loadWorkerConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> = process.env): Promise<{ config: WorkerConfig; secrets: readonly string[] }> {
  // The operator's own file: its placeholders may read anything the worker process can.
  const resolved = await resolvePlaceholders(raw, unrestrictedSources(env));
  if (!resolved.ok) throw new ConfigError(resolved.errors);
  const validated = validateWorkerConfig(resolved.config);
  if (!validated.ok) throw new ConfigError(validated.errors);
  return { config: validated.config, secrets: resolved.secrets };
}

/** Wires a standalone herder (`conflux standalone`): a worker whose desired state is kept in `opts.configStore`. */
export function createStandaloneHerder(config: WorkerConfig, plugins: PluginRegistry, opts: CreateWorkerOptions = {}): StandaloneHerder {
  const logs = opts.logs ?? new LogManager();
  const worker = createWorker(config, plugins, { ...opts, logs });
  return new StandaloneHerder(worker, opts.configStore, logs.get('herder'));
}

/** Wires a Worker from a validated worker config: Kafka client, Schema Registry, offset store. */
export function createWorker(config: WorkerConfig, plugins: PluginRegistry, opts: CreateWorkerOptions = {}): Worker {
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
      if (Object.keys(raw).length > MAX_CONFIG_KEYS) throw new ConfigError([{ key: '', message: `a connector config may have at most ${MAX_CONFIG_KEYS} keys` }]);
      const resolved = await resolvePlaceholders({ ...raw }, sources, { literal: isLiteralConnectorKey });
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

/**
 * Wires a worker of a cluster (`conflux distributed`): desired state in the config topic, status
 * in the status topic, source offsets in the offsets topic, membership in the group `group.id`.
 */
export function createDistributedHerder(config: WorkerConfig, plugins: PluginRegistry, opts: Omit<CreateWorkerOptions, 'configStore' | 'offsetStore' | 'kafka'> = {}): DistributedHerder {
  if (!config['group.id']) throw new ConfigError([{ key: 'group.id', message: 'distributed mode needs a group.id: the group the workers of one cluster join' }]);
  const logs = opts.logs ?? new LogManager();
  const kafka = kafkaClient(config, logs);
  const offsetStore = new KafkaOffsetStore(kafka, config['offset.storage.topic'], config['offset.storage.replication.factor']);
  const worker = createWorker(config, plugins, { ...opts, logs, kafka, offsetStore });
  const url = config['rest.advertised.url'] ?? `http://${config['rest.host']}:${config['rest.port']}`;
  return new DistributedHerder({ worker, kafka, config, offsetStore, url, logs });
}

function kafkaClient(config: WorkerConfig, logs: LogManager): Kafka {
  return new Kafka({
    clientId: `conflux-${config['worker.id']}`,
    brokers: parseList(config['bootstrap.servers']),
    logLevel: kafkaLogLevel.WARN,
    logCreator: kafkaLogs(logs),
  });
}

/** Routes kafkajs's own log lines into the worker's logger `kafkajs`. */
function kafkaLogs(logs: LogManager): logCreator {
  return () => {
    const logger = logs.get('kafkajs');
    return ({ level, log }) => {
      const { message, ...fields } = log;
      if (level === kafkaLogLevel.ERROR) logger.error(message, fields);
      else if (level === kafkaLogLevel.WARN) logger.warn(message, fields);
      else if (level === kafkaLogLevel.INFO) logger.info(message, fields);
      else logger.debug(message, fields);
    };
  };
}
