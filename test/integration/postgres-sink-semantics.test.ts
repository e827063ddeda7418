/**
 * The PostgreSQL sink's semantics against a real PostgreSQL, at the task: the same changes give
 * the same tables whether they come in one flush or one flush each, in every insert.mode and
 * delete.enabled; positions compare by cluster time and its order before any Kafka offset; a
 * higher reprocess.epoch rewrites what an equal position wrote; stored offsets never go back;
 * tombstones expire.
 */
import t, { type Test } from 'tap';
import { Value } from 'typebox/value';
import { PostgresSinkConfig } from '../../connectors/postgres-sink/config.js';
import type { OrderChange } from '../../connectors/postgres-sink/records.js';
import { PostgresSinkTask } from '../../connectors/postgres-sink/task.js';
import { silentLogger, type SinkRecord, type SinkTaskContext, type TopicPartitionOffsets } from '../../runtime/api/index.js';
import { noopMetrics } from '../../runtime/api/index.js';
import { services } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const { databaseUrl } = services();

function config(schema: string, extra: Partial<PostgresSinkConfig> = {}): PostgresSinkConfig {
  return {
    ...(Value.Default(PostgresSinkConfig, { 'connection.url': databaseUrl, 'warehouse.schema': schema }) as PostgresSinkConfig),
    'auto.migrate': true,
    ...extra,
  };
}

async function startTask(t: Test, cfg: PostgresSinkConfig, connector = 'semantics'): Promise<{ task: PostgresSinkTask; errors: string[] }> {
  const errors: string[] = [];
  const ctx: SinkTaskContext = {
    connector,
    taskId: 0,
    logger: silentLogger,
    metrics: noopMetrics,
    reportProgress: () => undefined,
    offsetsManagedBySink: () => undefined,
    receiveSnapshotMarkers: () => undefined,
    seek: () => undefined,
    assignment: () => [],
    reportError: async (_record, error) => {
      errors.push(error.message);
    },
  };
  const task = new PostgresSinkTask();
  await task.start(ctx, cfg);
  t.teardown(() => task.stop());
  return { task, errors };
}

type Step = { id: string; op: 'upsert' | 'delete'; ts: number; seq?: number; status?: string; partition?: number };

function record(step: Step, offset: number): SinkRecord {
  const base = { kind: 'order' as const, id: step.id, source_ts_ms: step.ts, source_seq: step.seq ?? 0 };
  const value: OrderChange =
    step.op === 'delete'
      ? { ...base, op: 'delete' }
      : {
          ...base,
          op: 'upsert',
          order: {
            order_id: step.id,
            customer_id: 'c-1',
            customer_name: null,
            customer_email: null,
            customer_segment: null,
            status: step.status ?? `v${step.ts}`,
            currency: 'EUR',
            total: '10.25',
            item_count: 1,
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000 + step.ts,
          },
          items: [{ line: 1, sku: 'SKU-1', name: 'Item', quantity: 1, unit_price: '10.25' }],
        };
  return Object.freeze({ topic: 'orders', kafkaPartition: step.partition ?? 0, kafkaOffset: String(offset), key: step.id, value, headers: {}, timestamp: 0 });
}

/** The changes of three documents, each of a kind that once depended on the flush boundaries. */
const STEPS: Step[] = [
  { id: 'a', op: 'upsert', ts: 1000 },
  { id: 'b', op: 'upsert', ts: 1000 },
  { id: 'a', op: 'upsert', ts: 2000 },
  { id: 'b', op: 'delete', ts: 2000 },
  { id: 'c', op: 'delete', ts: 2000 },
  { id: 'a', op: 'delete', ts: 3000 },
  { id: 'c', op: 'upsert', ts: 3000 },
  { id: 'a', op: 'upsert', ts: 4000 },
  { id: 'a', op: 'upsert', ts: 5000 },
];

async function table(client: import('pg').Client, schema: string) {
  return (await client.query(`SELECT order_id, status FROM "${schema}".fact_orders ORDER BY order_id`)).rows;
}

const EXPECTED: Record<string, Array<{ order_id: string; status: string }>> = {
  'upsert, deletes': [
    { order_id: 'a', status: 'v5000' },
    { order_id: 'c', status: 'v3000' },
  ],
  'upsert, no deletes': [
    { order_id: 'a', status: 'v5000' },
    { order_id: 'b', status: 'v1000' },
    { order_id: 'c', status: 'v3000' },
  ],
  // Append only: a row once written stays until a delete; the first version after it is written.
  'insert, deletes': [
    { order_id: 'a', status: 'v4000' },
    { order_id: 'c', status: 'v3000' },
  ],
  'insert, no deletes': [
    { order_id: 'a', status: 'v1000' },
    { order_id: 'b', status: 'v1000' },
    { order_id: 'c', status: 'v3000' },
  ],
};

for (const mode of ['upsert', 'insert'] as const) {
  for (const deletes of [true, false]) {
    const label = `${mode}, ${deletes ? 'deletes' : 'no deletes'}`;
    t.test(`insert.mode=${mode}, delete.enabled=${deletes}: one flush or one flush per change, the same table`, async (t) => {
      const results = [];
      for (const perChange of [false, true]) {
        const { schema, client } = await uniqueSchema(t);
        const { task } = await startTask(t, config(schema, { 'insert.mode': mode, 'delete.enabled': deletes }));
        const records = STEPS.map((s, i) => record(s, i));
        if (perChange) {
          for (const r of records) {
            await task.put([r]);
            await task.flush([{ topic: 'orders', partition: 0, offset: String(Number(r.kafkaOffset) + 1) }]);
          }
        } else {
          await task.put(records);
          await task.flush([{ topic: 'orders', partition: 0, offset: String(records.length) }]);
        }
        results.push(await table(client, schema));
      }
      t.same(results[0], results[1], 'the same rows either way');
      t.same(results[0], EXPECTED[label], 'and the rows the mode says');
    });
  }
}

t.test('positions: cluster time and its order decide before Kafka offsets, which do not compare across partitions', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const { task } = await startTask(t, config(schema));
  // After partitions were added, a newer change (seq 5) can sit at a lower offset of another partition.
  const newer = record({ id: 'p', op: 'upsert', ts: 1000, seq: 5, status: 'newer', partition: 1 }, 3);
  const older = record({ id: 'p', op: 'upsert', ts: 1000, seq: 2, status: 'older', partition: 0 }, 900);
  await task.put([newer]);
  await task.flush([{ topic: 'orders', partition: 1, offset: '4' }]);
  await task.put([older]);
  await task.flush([{ topic: 'orders', partition: 0, offset: '901' }]);
  t.same(await table(client, schema), [{ order_id: 'p', status: 'newer' }], 'the later change of the second wins over a higher offset');
});

t.test('reprocess.epoch: an equal position is written again in a higher epoch; an older one still never overwrites', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const write = async (epoch: number, steps: Step[], first: number) => {
    const { task } = await startTask(t, config(schema, { 'reprocess.epoch': epoch }), `epoch-${epoch}-${first}`);
    await task.put(steps.map((s, i) => record(s, first + i)));
    await task.flush([]);
  };
  await write(0, [{ id: 'e', op: 'upsert', ts: 2000, status: 'buggy' }], 0);
  // The same record again after a fix of the transform (the replay after a rewind): the same position.
  await write(0, [{ id: 'e', op: 'upsert', ts: 2000, status: 'fixed' }], 0);
  t.same(await table(client, schema), [{ order_id: 'e', status: 'buggy' }], 'in the same epoch a replay changes nothing');
  await write(1, [{ id: 'e', op: 'upsert', ts: 1000, status: 'older' }], 0);
  t.same(await table(client, schema), [{ order_id: 'e', status: 'buggy' }], 'an older change does not win in a higher epoch either');
  await write(1, [{ id: 'e', op: 'upsert', ts: 2000, status: 'fixed' }], 0);
  t.same(await table(client, schema), [{ order_id: 'e', status: 'fixed' }], 'in a higher epoch the equal position is written again');
});

t.test('stored offsets never move backwards, and tombstones expire after tombstones.retention.ms', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const { task } = await startTask(t, config(schema, { 'tombstones.retention.ms': 60_000 }), 'monotonic');
  const flushAt = async (offset: string, steps: Step[] = []) => {
    await task.put(steps.map((s, i) => record(s, i)));
    await task.flush([{ topic: 'orders', partition: 0, offset }] as TopicPartitionOffsets);
  };
  const old = Date.now() - 3_600_000;
  await flushAt('100', [
    { id: 'x', op: 'delete', ts: old },
    { id: 'y', op: 'delete', ts: Date.now() },
  ]);
  await flushAt('50');
  const { rows } = await client.query(`SELECT next_offset::int AS n FROM "${schema}".conflux_sink_offsets WHERE connector = 'monotonic'`);
  t.same(rows, [{ n: 100 }], 'a late flush of an older position does not move the stored offset back');
  // A new task sweeps at its first write: the delete from an hour ago is past the retention.
  const { task: next } = await startTask(t, config(schema, { 'tombstones.retention.ms': 60_000 }), 'monotonic');
  await next.put([]);
  await next.flush([{ topic: 'orders', partition: 0, offset: '101' }]);
  const { rows: tombstones } = await client.query(`SELECT key FROM "${schema}".conflux_sink_tombstones ORDER BY key`);
  t.same(tombstones, [{ key: 'y' }], 'the expired tombstone is gone, the recent one stays');
});
