import { ConfigError } from '../api/index.js';
import type { WorkerConfig } from '../config/index.js';
import { kafkaClient } from '../kafka/client.js';
import { LogManager } from '../observability/logging.js';
import { KafkaOffsetStore } from '../offsets/kafka-store.js';
import { createWorker, type CreateWorkerOptions } from '../worker/create-worker.js';
import type { PluginRegistry } from '../worker/plugin-registry.js';
import { DistributedHerder } from './distributed-herder.js';
import { StandaloneHerder } from './standalone-herder.js';

/** Wires a standalone herder (`conflux standalone`): a worker whose desired state is kept in `opts.configStore`. */
export function createStandaloneHerder(config: WorkerConfig, plugins: PluginRegistry, opts: CreateWorkerOptions = {}): StandaloneHerder {
  const logs = opts.logs ?? new LogManager();
  const worker = createWorker(config, plugins, { ...opts, logs });
  return new StandaloneHerder(worker, opts.configStore, logs.get('herder'));
}

/**
 * Wires a worker of a cluster (`conflux distributed`): desired state in the config topic, status
 * in the status topic, source offsets in the offsets topic, membership in the group `group.id`.
 */
export function createDistributedHerder(
  config: WorkerConfig,
  plugins: PluginRegistry,
  opts: Omit<CreateWorkerOptions, 'configStore' | 'offsetStore' | 'kafka'> = {},
): DistributedHerder {
  if (!config['group.id'])
    throw new ConfigError([{ key: 'group.id', message: 'distributed mode needs a group.id: the group the workers of one cluster join' }]);
  const logs = opts.logs ?? new LogManager();
  const kafka = kafkaClient(config, logs);
  const offsetStore = new KafkaOffsetStore(kafka, config['offset.storage.topic'], config['offset.storage.replication.factor']);
  const worker = createWorker(config, plugins, { ...opts, logs, kafka, offsetStore });
  const url = config['rest.advertised.url'] ?? `http://${config['rest.host']}:${config['rest.port']}`;
  return new DistributedHerder({ worker, kafka, config, offsetStore, url, logs });
}
