import type { ConnectorFile } from '../connector-files.js';
import type { PipelineTopics } from './progress.js';
import type { PipelineNames } from './reconcile-sources.js';

/** Where the orders pipeline of a set of connector files keeps its data. */
export interface PipelineLayout extends PipelineNames {
  readonly topics: PipelineTopics;
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads the layout from the connector files themselves (one mongodb-source, postgres-sinks), so
 * that the progress view and the reconciliation follow whatever the files say.
 */
export function pipelineLayout(files: readonly ConnectorFile[]): PipelineLayout {
  const source = files.find((f) => f.config['connector.class'] === 'mongodb-source');
  if (!source) throw new Error('no mongodb-source connector among the connector files');
  const sinks = files.filter((f) => f.config['connector.class'] === 'postgres-sink');
  const topicOf = new Map(list(source.config['topic.map']).map((pair) => pair.split(':').map((s) => s.trim()) as [string, string]));
  const ordersTopic = topicOf.get('orders') ?? 'orders-cdc';
  const customersTopic = topicOf.get('customers') ?? 'customers-cdc';
  const ordersSink = sinks.find((s) => list(s.config.topics).includes(ordersTopic));
  if (!ordersSink) throw new Error(`no postgres-sink connector reads ${ordersTopic}`);
  const ordersDlq = ordersSink.config['errors.deadletterqueue.topic.name'];
  if (!ordersDlq) throw new Error(`${ordersSink.name} has no dead-letter topic: rejected orders could not be reconciled`);
  const deadLetter = [...new Set([source, ...sinks].map((f) => f.config['errors.deadletterqueue.topic.name']).filter((t): t is string => !!t))];
  return {
    db: source.config.database ?? 'shop',
    schema: ordersSink.config['warehouse.schema'] ?? 'public',
    ordersDlq,
    topics: {
      data: [ordersTopic, customersTopic],
      deadLetter,
      sinks: Object.fromEntries(sinks.map((s) => [s.name, list(s.config.topics)])),
    },
  };
}
