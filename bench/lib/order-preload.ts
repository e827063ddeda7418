import { Faker, base, en } from '@faker-js/faker';
import { Timestamp, type Db } from 'mongodb';
import { customer, order } from '../../generator/shop-documents.js';

/**
 * Writes 100 customers, then `n` order inserts, with a fixed seed. Returns a cluster time after the
 * customers and before the first order: a change stream started there sees exactly the n inserts.
 */
export async function preloadOrders(db: Db, n: number): Promise<Timestamp> {
  const f = new Faker({ locale: [en, base] });
  f.seed(42);
  const now = new Date();
  const customers = Array.from({ length: 100 }, () => customer(f, now));
  await db.collection('customers').insertMany(customers);
  // Cluster times have whole seconds: the next second starts after every customer.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const start = new Timestamp({ t: Math.floor(Date.now() / 1000), i: 0 });
  for (let done = 0; done < n; done += 1000) {
    await db.collection('orders').insertMany(Array.from({ length: Math.min(1000, n - done) }, () => order(f, f.helpers.arrayElement(customers)._id, now)));
  }
  return start;
}

/** A mongodb-source config that captures exactly the inserts of {@link preloadOrders} into `topic`, as Avro. */
export function preloadedOrdersSource(o: { mongoUri: string; db: Db; topic: string; start: Timestamp; batch: number }): Record<string, string> {
  return {
    'connector.class': 'mongodb-source',
    'connection.uri': o.mongoUri,
    database: o.db.databaseName,
    collections: 'orders',
    'topic.map': `orders:${o.topic}`,
    'value.schema.orders': 'config/schemas/orders.avsc',
    'startup.mode': 'timestamp',
    'startup.timestamp.ms': String(o.start.high * 1000),
    'poll.max.batch.size': String(o.batch),
  };
}
