import { defineSinkConnector } from '../../runtime/api/index.js';
import { PostgresSinkConfig } from './config.js';
import { postgresOffsets } from './offsets-store.js';
import { PostgresSinkTask } from './task.js';

export const postgresSink = defineSinkConnector({
  name: 'postgres-sink',
  type: 'sink',
  version: '1.0.0',
  description:
    'Writes warehouse changes (from ParseOrder/EnrichCustomer/ValidateOrder, or ParseCustomer) to PostgreSQL: each flush is one transaction that ' +
    'COPYs into staging tables, merges so that only newer source positions win, replaces order items, applies deletes and stores the Kafka ' +
    'offsets, so delivery is effectively once.',
  config: PostgresSinkConfig,
  // The tasks seek to conflux_sink_offsets on every assignment: the offsets endpoints act there.
  offsets: postgresOffsets,
  taskConfigs(config, maxTasks) {
    return Array.from({ length: maxTasks }, () => config);
  },
  createTask() {
    return new PostgresSinkTask();
  },
});
