import Type from 'typebox';
import {
  defineSinkConnector,
  defineSourceConnector,
  defineTransform,
  withHeader,
  withRecord,
  type ConnectRecord,
  type SourceRecord,
} from '../../runtime/api/index.js';

/** The record both paths move: small, Avro, like a compact CDC event. */
export const benchValueSchema = {
  type: 'record',
  name: 'BenchEvent',
  namespace: 'conflux.bench',
  fields: [
    { name: 'n', type: 'long' },
    { name: 'id', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'ts', type: 'long' },
  ],
};

export interface BenchEvent {
  n: number;
  id: string;
  status: string;
  amount: number;
  ts: number;
}

const STATUSES = ['pending', 'paid', 'shipped', 'delivered'];
export const benchEvent = (n: number): BenchEvent => ({ n, id: `order-${n}`, status: STATUSES[n % 4]!, amount: (n % 1000) / 10, ts: 1_700_000_000_000 + n });

/** One stream: a source hands the same partition object with each of its records. */
const PARTITION = Object.freeze({ bench: 0 });

/** Emits n = 0..count-1 in polls of `batch.size`; the work a source does is nearly nothing. */
export const numbersSource = defineSourceConnector({
  name: 'bench-numbers-source',
  type: 'source',
  version: '1.0.0',
  description: 'Emits consecutive numbers as fast as it is polled; for the runtime benchmark.',
  config: Type.Object({
    topic: Type.String({ description: 'Topic to write to.' }),
    count: Type.Integer({ description: 'How many records to emit.', minimum: 0 }),
    'batch.size': Type.Integer({ description: 'Records per poll.', default: 1000, minimum: 1 }),
  }),
  taskConfigs: (config) => [config],
  createTask() {
    let next = 0;
    let cfg: { topic: string; count: number; 'batch.size': number };
    return {
      async start(_ctx, config) {
        cfg = config as typeof cfg;
      },
      async poll(signal) {
        if (next >= cfg.count) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 20);
            signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
          return [];
        }
        const records: SourceRecord[] = [];
        const end = Math.min(cfg.count, next + cfg['batch.size']);
        for (; next < end; next++) {
          records.push({
            topic: cfg.topic,
            key: `order-${next}`,
            value: benchEvent(next),
            valueSchema: benchValueSchema,
            headers: {},
            timestamp: Date.now(),
            sourcePartition: PARTITION,
            sourceOffset: { n: next },
          });
        }
        return records;
      },
      async stop() {},
    };
  },
});

/** Counts what it is given per `counter`; read by the benchmark in the same process. */
export const counts = new Map<string, number>();

export const countingSink = defineSinkConnector({
  name: 'bench-counting-sink',
  type: 'sink',
  version: '1.0.0',
  description: 'Counts records and keeps nothing; for the runtime benchmark.',
  config: Type.Object({ counter: Type.String({ description: 'Name the count is kept under.' }) }),
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask() {
    let counter = '';
    let pending = 0;
    return {
      async start(_ctx, config) {
        counter = (config as { counter: string }).counter;
      },
      async put(records) {
        pending += records.length;
      },
      async flush() {
        counts.set(counter, (counts.get(counter) ?? 0) + pending);
        pending = 0;
      },
      async stop() {},
    };
  },
});

/** Three cheap, synchronous transforms of the kind a chain usually holds. */
export const benchTransforms = {
  BenchAddHeader: defineTransform({
    name: 'BenchAddHeader',
    version: '1.0.0',
    description: 'Adds a constant header.',
    config: Type.Object({}),
    create: () => ({ apply: <R extends ConnectRecord>(r: R): R => withRecord(r, { headers: withHeader(r.headers, 'bench', 'yes') }) }),
  }),
  BenchUpperStatus: defineTransform({
    name: 'BenchUpperStatus',
    version: '1.0.0',
    description: 'Upper-cases the status field of the value.',
    config: Type.Object({}),
    create: () => ({
      apply: <R extends ConnectRecord>(r: R): R => {
        const v = r.value as BenchEvent;
        return withRecord(r, { value: { ...v, status: v.status.toUpperCase() } });
      },
    }),
  }),
  BenchDropNegative: defineTransform({
    name: 'BenchDropNegative',
    version: '1.0.0',
    description: 'Drops records with a negative amount (none in the benchmark data).',
    config: Type.Object({}),
    create: () => ({ apply: <R extends ConnectRecord>(r: R): R | null => ((r.value as BenchEvent).amount < 0 ? null : r) }),
  }),
};

export const threeTransforms = {
  transforms: 'header,upper,drop',
  'transforms.header.type': 'BenchAddHeader',
  'transforms.upper.type': 'BenchUpperStatus',
  'transforms.drop.type': 'BenchDropNegative',
};
