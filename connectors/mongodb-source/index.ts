import { ConfigError, defineSourceConnector } from '../../runtime/api/index.js';
import { mongoSourceConfig, planTasks, type MongoSourceConfig, type MongoSourceTaskConfig } from './config.js';
import { cancelSnapshot, collectionOf, listSnapshots, requestSnapshot } from './snapshot-signals.js';
import { MongoSourceTask } from './task.js';

/**
 * MongoDB change streams into Kafka: one change envelope per insert, update, replace and delete,
 * keyed by the document _id, after an optional resumable snapshot of the existing documents.
 */
export const mongodbSource = defineSourceConnector<typeof mongoSourceConfig, MongoSourceTaskConfig>({
  name: 'mongodb-source',
  type: 'source',
  version: '0.1.0',
  description:
    'Captures MongoDB collections through change streams (replica set or sharded cluster): an optional resumable snapshot, then every insert, update, replace and delete as a CDC envelope keyed by _id, resumable from the stored resume token, with heartbeats on quiet collections and hash shares across tasks.',
  config: mongoSourceConfig,
  taskConfigs(config, maxTasks) {
    return planTasks(config as MongoSourceConfig, maxTasks);
  },
  // planTasks checks what the schema cannot (keys naming collections, the pipeline, schema files):
  // running it here makes those problems a 400 at create time, each with its key.
  validate(config) {
    try {
      planTasks(config as MongoSourceConfig, 1);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.errors];
      throw err;
    }
  },
  createTask() {
    return new MongoSourceTask();
  },
  snapshots: {
    start: (config, connector, request) => requestSnapshot(config as MongoSourceConfig, connector, request),
    list: (config, connector) => listSnapshots(config as MongoSourceConfig, connector),
    cancel: (config, connector, id) => cancelSnapshot(config as MongoSourceConfig, connector, id),
    collectionOf: (config, topic) => collectionOf(config as MongoSourceConfig, topic),
  },
});
