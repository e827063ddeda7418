import { parseArgs } from 'node:util';
import { NAMESPACE_PATTERN } from './namespace.js';

export const DEMO_USAGE = `  conflux demo [--orders N] [--rate 50] [--seed-customers 200] [--seed-orders 1000]
               [--invalid-ratio 0.02] [--seed S] [--timeout 300] [--port P] [--reset]
               [--worker config/worker.json] [--connectors config/connectors] [--namespace NS]
      The orders pipeline end to end (npm start): brings up the local services unless
      MONGODB_URI, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL are set, migrates the
      warehouse, seeds MongoDB (tops up an earlier run), runs a worker with the connector files
      and the live generator at --rate changes/s, and shows the progress. --orders N stops after
      N new orders, waits for the warehouse (at most --timeout s) and reconciles MongoDB with the
      warehouse: exit 0 when they agree, 1 when not. Without --orders it runs until Ctrl-C, then
      does the same. --reset starts from empty data; --namespace runs under other names.`;

export interface DemoOptions {
  readonly orders: number | undefined;
  readonly rate: number;
  readonly seedCustomers: number;
  readonly seedOrders: number;
  readonly invalidRatio: number;
  readonly seed: number;
  readonly timeoutS: number;
  readonly port: number | undefined;
  readonly reset: boolean;
  readonly workerFile: string;
  readonly connectorsDir: string;
  readonly namespace: string | undefined;
}

export class UsageError extends Error {}

function number(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number between ${min} and ${max}, got '${value}'`);
  return n;
}

export function parseDemoArgs(argv: string[]): DemoOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      orders: { type: 'string' },
      rate: { type: 'string', default: '50' },
      'seed-customers': { type: 'string', default: '200' },
      'seed-orders': { type: 'string', default: '1000' },
      'invalid-ratio': { type: 'string', default: '0.02' },
      seed: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      port: { type: 'string' },
      reset: { type: 'boolean', default: false },
      worker: { type: 'string', default: 'config/worker.json' },
      connectors: { type: 'string', default: 'config/connectors' },
      namespace: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`demo takes no positional arguments (got ${positionals.join(' ')})`);
  if (values.namespace !== undefined && !NAMESPACE_PATTERN.test(values.namespace)) {
    throw new UsageError(`--namespace must match ${NAMESPACE_PATTERN} (it becomes part of topic, database and schema names)`);
  }
  const orders = number('orders', values.orders, 1);
  return {
    orders: orders === undefined ? undefined : Math.floor(orders),
    rate: number('rate', values.rate, 0.1, 100_000)!,
    seedCustomers: Math.floor(number('seed-customers', values['seed-customers'], 0)!),
    seedOrders: Math.floor(number('seed-orders', values['seed-orders'], 0)!),
    invalidRatio: number('invalid-ratio', values['invalid-ratio'], 0, 1)!,
    // A new seed per run by default: the generator's ids come from it, so reusing one on the
    // data of an earlier run would write the same ids again.
    seed: Math.floor(number('seed', values.seed, 0, 2 ** 31 - 1) ?? Date.now() % 2 ** 31),
    timeoutS: number('timeout', values.timeout, 1)!,
    port: number('port', values.port, 0, 65535),
    reset: values.reset!,
    workerFile: values.worker!,
    connectorsDir: values.connectors!,
    namespace: values.namespace,
  };
}
