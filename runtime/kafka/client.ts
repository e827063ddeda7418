import { Kafka, logLevel as kafkaLogLevel, type logCreator } from 'kafkajs';
import { parseList, type WorkerConfig } from '../config/index.js';
import type { LogManager } from '../observability/logging.js';
import { kafkaSecurity } from './security.js';

/** The worker's Kafka client: its brokers from `bootstrap.servers`, its log lines in the worker's log. */
export function kafkaClient(config: WorkerConfig, logs: LogManager): Kafka {
  return new Kafka({
    clientId: `conflux-${config['worker.id']}`,
    brokers: parseList(config['bootstrap.servers']),
    ...kafkaSecurity(config),
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
