import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db, type Timestamp } from 'mongodb';
import { BenchCluster } from './cluster-workers.js';
import { measureWindow } from './cluster-window.js';
import { profileDir, type ClusterRun, type Figure, type RunOptions } from './cluster-run.js';
import { preloadOrders, preloadedOrdersSource } from './order-preload.js';
import { startPrivateMongo } from './private-mongo.js';

/**
 * N order inserts written to MongoDB once; then, per cluster size, a mongodb-source connector with
 * T tasks (shares of the collection by a hash of _id) captures them into a topic of its own with T
 * partitions as Avro envelopes. Counted: records in the topic (its high watermarks), from the first
 * to the N-th; the connector is created PAUSED and resumed when all its tasks are up, so they
 * begin together. With the MongoDB test server (MONGODB_TEST_SERVER set) a test server of the
 * benchmark's own holds the changes, as in bench:source, and its CPU is reported as "mongo".
 */
export async function sourceRun(o: RunOptions): Promise<ClusterRun> {
  const { n, tasks } = o;
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const privateMongo = process.env.MONGODB_TEST_SERVER ? await startPrivateMongo(n + 10_000) : undefined;
  const mongoUri = privateMongo?.uri ?? process.env.MONGODB_URI!;
  const kafka = new Kafka({
    clientId: 'bench-cluster-source',
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const client = new MongoClient(mongoUri);
  const db: Db = client.db(`bench_cluster_${run}`);
  const topics: string[] = [];
  let start: Timestamp;
  try {
    await admin.connect();
    await client.connect();
    console.error(`bench:cluster source: preloading ${n} order inserts into ${db.databaseName}`);
    start = await preloadOrders(db, n);
  } catch (err) {
    await admin.disconnect();
    await client.close();
    privateMongo?.stop();
    throw err;
  }
  const produced = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);

  async function measure(workers: number): Promise<Figure> {
    const cluster = await BenchCluster.start({
      workers,
      profileDir: profileDir(o, 'source', workers),
    });
    const topic = `bench-cluster-${workers}-${run}`;
    topics.push(topic, ...cluster.storageTopics);
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: tasks }],
        waitForLeaders: true,
      });
      await cluster.startTogether('bench-source', { ...preloadedOrdersSource({ mongoUri, db, topic, start, batch: 1000 }), 'tasks.max': String(tasks) }, tasks);
      const groups = {
        ...cluster.processes(),
        ...(privateMongo ? { mongo: [privateMongo.pid] } : {}),
      };
      const window = await measureWindow(
        `${n} changes with ${workers} worker(s)`,
        n,
        async () => {
          const count = await produced(topic);
          return { count, started: count > 0 };
        },
        groups,
      );
      return await cluster.figure('bench-source', window);
    } finally {
      await cluster.stop();
    }
  }

  return {
    name: 'source',
    unit: 'changes',
    n,
    tasks,
    measure,
    async close() {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
      await db.dropDatabase().catch(() => undefined);
      await client.close();
      privateMongo?.stop();
    },
  };
}
