/**
 * The offsets endpoints (KIP-875) act where postgres-sink keeps its offsets, in the warehouse: a
 * rewind reprocesses (with reprocess.epoch raised, rows are written again), a reset starts over
 * from the first record, and a partition with no warehouse position does not start at the
 * group's committed offset, which may be ahead of the warehouse.
 */
import t from 'tap';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { order, ordersEnvelopeSchema } from '../fixtures/shop.js';
import { orderEvent, orderSinkConfig, storedOffsetSum } from '../fixtures/order-stream.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const { databaseUrl } = services();

t.test('GET, PATCH and DELETE offsets of postgres-sink read and change conflux_sink_offsets', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const q = (sql: string, params?: unknown[]) => client.query(sql, params);
  const topic = uniqueName('offsets-cdc');
  await createTopic(topic, 1);
  await produceAvro(
    topic,
    ordersEnvelopeSchema(),
    Array.from({ length: 10 }, (_, i) => orderEvent('c', order(`k-${i}`), 1000 + i)),
  );
  // The group is ahead of a warehouse that holds nothing (a warehouse restored from an old backup).
  const name = uniqueName('offsets-sink');
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: `connect-${name}`, topic, partitions: [{ partition: 0, offset: '8' }] });
  await admin.disconnect();

  const worker = await startWarehouseWorker(t, tempDir(t));
  const config = orderSinkConfig(databaseUrl, topic, schema);
  await worker.createConnector(name, config);
  await waitFor('the sink at offset 10', async () => ((await storedOffsetSum(q, schema, name)) === 10 ? true : undefined));
  const count = async (where = 'true') => Number((await client.query(`SELECT count(*) AS n FROM "${schema}".fact_orders WHERE ${where}`)).rows[0].n);
  t.equal(await count(), 10, 'with no warehouse position it read from the first record, not from the group offset 8');

  await worker.stopConnector(name);
  t.same(
    await worker.offsets(name),
    [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 10 } }],
    'GET shows the warehouse position',
  );
  await worker.alterOffsets(name, [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 6 } }]);
  t.same(
    (await q(`SELECT next_offset::int AS n FROM "${schema}".conflux_sink_offsets WHERE connector = $1`, [name])).rows,
    [{ n: 6 }],
    'PATCH wrote the warehouse',
  );
  t.same(await worker.offsets(name), [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 6 } }]);

  // Reprocess from offset 6 in a new epoch: exactly the records from there are written again.
  await worker.putConnectorConfig(name, { ...config, 'reprocess.epoch': '1' });
  await worker.resume(name);
  await waitFor('the rewound records written again', async () => ((await count('epoch = 1')) === 4 ? true : undefined));
  t.equal(await count('epoch = 0'), 6, 'the records before the rewind keep their epoch');

  await worker.stopConnector(name);
  await worker.resetOffsets(name);
  t.same(await worker.offsets(name), [], 'DELETE removed the warehouse positions');
  await worker.putConnectorConfig(name, { ...config, 'reprocess.epoch': '2' });
  await worker.resume(name);
  await waitFor('every record written again', async () => ((await count('epoch = 2')) === 10 ? true : undefined));
  t.equal(await storedOffsetSum(q, schema, name), 10);
});
