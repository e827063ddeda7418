import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { pipelineNames, privateDatabase, renamedConnectors } from '../../test/helpers/pipeline.js';
import { BenchCluster } from './cluster-workers.js';
import { measureWindow } from './cluster-window.js';
import { profileDir, type ClusterRun, type Figure, type RunOptions } from './cluster-run.js';
import { prefillOrderTopics } from './order-topics.js';

const CUSTOMERS = 10_000;

/**
 * An orders topic (T partitions) and a customers topic prefilled once with N Avro order envelopes
 * and their 10,000 customers (bench/lib/order-topics.ts, as bench:sink does); then, per cluster
 * size, the versioned config/connectors/warehouse-orders.json (ParseOrder -> EnrichCustomer ->
 * ValidateOrder, Avro, its own topics renamed, `tasks.max` = T) writes them into a private
 * PostgreSQL database, whose URL the workers get as DATABASE_URL for the config's
 * ${env:DATABASE_URL}. Counted: the sink's committed offsets, which it stores in the warehouse in
 * the same transaction as the rows (sum of next_offset in conflux_sink_offsets), from the first
 * poll where every partition had a commit to N. The connector is created PAUSED and resumed when
 * all T tasks are in its consumer group, so they begin together; the window then leaves out the
 * group join, the lookup table restore and the first fetch after the resume (which waits for the
 * paused consumer's fetch to come back). fact_orders is checked to hold N rows after.
 */
export async function sinkRun(o: RunOptions): Promise<ClusterRun> {
  const { n, tasks } = o;
  const names = pipelineNames('bench_cluster');
  const kafka = new Kafka({
    clientId: 'bench-cluster-sink',
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const registry = new SchemaRegistry({
    host: process.env.SCHEMA_REGISTRY_URL!,
  });
  const topics = [names.ordersTopic, names.customersTopic, names.ordersDlq];
  const admin = kafka.admin();
  await admin.connect();
  try {
    console.error(
      `bench:cluster sink: prefilling ${names.ordersTopic} (${tasks} partitions) with ${n} orders and ${names.customersTopic} with ${CUSTOMERS} customers`,
    );
    await prefillOrderTopics(kafka, registry, {
      ordersTopic: names.ordersTopic,
      customersTopic: names.customersTopic,
      partitions: tasks,
      orders: n,
      customers: CUSTOMERS,
    });
  } catch (err) {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    throw err;
  }
  const shipped = renamedConnectors(names, {
    'warehouse-orders': { 'tasks.max': String(tasks) },
  }).find((c) => c.name === names.ordersSink);
  if (!shipped) throw new Error('config/connectors has no warehouse-orders connector');

  async function measure(workers: number): Promise<Figure> {
    const warehouse = await privateDatabase(process.env.DATABASE_URL!, `${names.database}_w${workers}`);
    const client = new pg.Client({ connectionString: warehouse.url });
    await client.connect();
    const connector = `${shipped!.name}-w${workers}`;
    const cluster = await BenchCluster.start({
      workers,
      env: { DATABASE_URL: warehouse.url },
      worker: { 'config.providers.env.allowlist': 'DATABASE_URL' },
      profileDir: profileDir(o, 'sink', workers),
    }).catch(async (err: unknown) => {
      await client.end();
      await warehouse.drop();
      throw err;
    });
    topics.push(...cluster.storageTopics);
    const committed = async () => {
      const res = await client
        .query<{ next_offset: string }>('SELECT next_offset FROM conflux_sink_offsets WHERE connector = $1 AND topic = $2', [connector, names.ordersTopic])
        .catch((err: { code?: string }) => {
          if (err.code === '42P01') return { rows: [] }; // the first task has not migrated yet
          throw err;
        });
      // A partition's row appears with the first commit of the task that has it.
      return { count: res.rows.reduce((sum, r) => sum + Number(r.next_offset), 0), started: res.rows.length >= tasks };
    };
    try {
      // Resumed once the sink's consumer group is stable with every task in it: a task that joins
      // later makes the group rebalance, which is start-up, not throughput.
      await cluster.startTogether(connector, shipped!.config, tasks, async () => {
        const [group] = (await admin.describeGroups([`connect-${connector}`])).groups;
        return group?.state === 'Stable' && group.members.length === tasks;
      });
      const window = await measureWindow(`${n} rows with ${workers} worker(s)`, n, committed, cluster.processes());
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM fact_orders');
      if (rows[0]!.n !== n) throw new Error(`fact_orders has ${rows[0]!.n} rows, expected ${n}`);
      return await cluster.figure(connector, window);
    } finally {
      await cluster.stop();
      await client.end();
      await warehouse.drop();
    }
  }

  return {
    name: 'sink',
    unit: 'rows',
    n,
    tasks,
    measure,
    async close() {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
