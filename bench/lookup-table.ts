// npm run bench:tables [-- --keys 100000]
// Memory and restore time of a lookup table (runtime/lookup-tables) holding customer change envelopes:
// fills a compacted topic with `keys` Avro customer envelopes, opens the view the way
// EnrichCustomer does, and prints the heap it holds per 100k keys (after a forced GC).
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { silentLogger } from '../runtime/api/index.js';
import { createConverter } from '../runtime/converters/index.js';
import { LookupTableRegistry } from '../runtime/lookup-tables/registry.js';
import { customer, customersEnvelopeSchema, envelope } from '../test/fixtures/shop.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '100000' } } });
const keys = Number(values.keys);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:tables does)');
const need = (name: string) =>
  process.env[name] ??
  (() => {
    throw new Error(`${name} is not set`);
  })();

const kafka = new Kafka({ brokers: need('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
const registry = new SchemaRegistry({ host: need('SCHEMA_REGISTRY_URL') });
const topic = `bench-lookup-${Date.now()}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(customersEnvelopeSchema()) }, { subject: `${topic}-value` });
const producer = kafka.producer();
await producer.connect();
for (let i = 0; i < keys; i += 5000) {
  const messages = await Promise.all(
    Array.from({ length: Math.min(5000, keys - i) }, async (_, j) => ({
      key: `c-${i + j}`,
      value: await registry.encode(id, envelope('r', 'customers', customer(`c-${i + j}`), 1000)),
    })),
  );
  await producer.send({ topic, messages });
}
await producer.disconnect();

const tables = new LookupTableRegistry({ kafka, logger: silentLogger, workerId: 'bench' });
const chainTables = tables.forChain(createConverter('string', 'key', undefined), createConverter('avro', 'value', registry));
gc();
const before = process.memoryUsage().heapUsed;
const start = Date.now();
const view = await chainTables.open(topic);
const restoreMs = Date.now() - start;
gc();
const after = process.memoryUsage().heapUsed;
const perKey = (after - before) / view.size;
console.log(`lookup table of ${view.size} customer envelopes: restored in ${(restoreMs / 1000).toFixed(1)} s`);
console.log(
  `heap held: ${((after - before) / 2 ** 20).toFixed(1)} MiB, ${perKey.toFixed(0)} bytes per key, ${((perKey * 100_000) / 2 ** 20).toFixed(1)} MiB per 100k keys`,
);
await chainTables.release();
await tables.close();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
