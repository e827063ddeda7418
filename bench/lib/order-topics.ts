import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { customer, customersEnvelopeSchema, envelope, order, ordersEnvelopeSchema } from '../../test/fixtures/shop.js';

export interface OrderTopicsSpec {
  ordersTopic: string;
  customersTopic: string;
  /** Partitions of the orders topic; the customers topic has one and is compacted, like customers-cdc. */
  partitions: number;
  orders: number;
  customers: number;
}

async function produce(kafka: Kafka, registry: SchemaRegistry, topic: string, schema: object, records: Array<{ key: string; value: unknown }>): Promise<void> {
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 5000) {
      const slice = records.slice(i, i + 5000);
      await producer.send({
        topic,
        acks: -1,
        messages: await Promise.all(slice.map(async (r) => ({ key: r.key, value: await registry.encode(id, r.value) }))),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Creates an orders topic and a compacted customers topic and fills them with Avro change
 * envelopes as the MongoDB source writes them: `customers` snapshot reads (c-0, c-1, ..), then
 * `orders` inserts (o-0, o-1, .., with 1 to 3 lines, customers round robin), so a sink with
 * ParseOrder -> EnrichCustomer -> ValidateOrder writes every order. Returns the seconds the
 * orders took to produce.
 */
export async function prefillOrderTopics(kafka: Kafka, registry: SchemaRegistry, spec: OrderTopicsSpec): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: spec.ordersTopic, numPartitions: spec.partitions },
        { topic: spec.customersTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const C = spec.customers;
  await produce(
    kafka,
    registry,
    spec.customersTopic,
    customersEnvelopeSchema(),
    Array.from({ length: C }, (_, i) => ({ key: `c-${i}`, value: envelope('r', 'customers', customer(`c-${i}`), 1000) })),
  );
  const t0 = performance.now();
  await produce(
    kafka,
    registry,
    spec.ordersTopic,
    ordersEnvelopeSchema(),
    Array.from({ length: spec.orders }, (_, i) => ({
      key: `o-${i}`,
      value: envelope('c', 'orders', order(`o-${i}`, { customer_id: `c-${i % C}` }, 1 + (i % 3)), 10_000 + i),
    })),
  );
  return (performance.now() - t0) / 1000;
}
