import t from 'tap';
import { topicPartitionKey, type SinkRecord } from '../../runtime/api/index.js';
import { DEFAULT_BATCH, SinkAccumulator, batchSettings, type StagedBatch } from '../../runtime/sink/batch.js';

const record = (topic: string, partition: number, offset: number): SinkRecord =>
  Object.freeze({ topic, kafkaPartition: partition, kafkaOffset: String(offset), key: null, value: offset, headers: {}, timestamp: 0 });

/** A fetched batch of offsets from..to-1 with `kept` of its records left after the transforms. */
function batch(topic: string, partition: number, from: number, to: number, kept = to - from): StagedBatch {
  const records = Array.from({ length: kept }, (_, i) => record(topic, partition, from + i));
  return { topic, partition, records, next: String(to) };
}

t.test('a flush is due once batch.max.records are staged, across fetches', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 10, lingerMs: 60_000 });
  t.equal(acc.dueIn(0), undefined, 'nothing staged: nothing due');
  acc.add(batch('a', 0, 0, 4), 0);
  acc.add(batch('a', 1, 0, 4), 1);
  t.equal(acc.dueIn(2), 59_998, 'below the maximum: due when the first record has lingered');
  t.notOk(acc.isFull);
  acc.add(batch('a', 0, 4, 6), 2);
  t.equal(acc.size, 10);
  t.ok(acc.isFull);
  t.equal(acc.dueIn(3), 0, 'at the maximum: due now');
});

t.test('batch.linger.ms counts from the first staged record, not the last', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 1000, lingerMs: 500 });
  acc.add(batch('a', 0, 0, 1), 1_000);
  acc.add(batch('a', 0, 1, 2), 1_400);
  t.equal(acc.dueIn(1_400), 100);
  t.equal(acc.dueIn(1_500), 0);
  t.equal(acc.dueIn(9_999), 0, 'never negative');
  acc.take();
  acc.add(batch('a', 0, 2, 3), 2_000);
  t.equal(acc.dueIn(2_000), 500, 'the clock restarts after a take');
});

t.test('linger 0 makes anything staged due at once', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 1000, lingerMs: 0 });
  acc.add(batch('a', 0, 0, 1), 5);
  t.equal(acc.dueIn(5), 0);
});

t.test('take returns every record in fetch order and the position after the last batch of each partition', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 100, lingerMs: 0 });
  acc.add(batch('a', 0, 0, 3), 0);
  acc.add(batch('a', 1, 10, 12), 0);
  acc.add(batch('a', 0, 3, 5), 0);
  const group = acc.take();
  t.same(
    group.records.map((r) => `${r.kafkaPartition}@${r.kafkaOffset}`),
    ['0@0', '0@1', '0@2', '1@10', '1@11', '0@3', '0@4'],
    'offset order per partition kept',
  );
  t.same(group.offsets, [
    { topic: 'a', partition: 0, offset: '5' },
    { topic: 'a', partition: 1, offset: '12' },
  ]);
  t.equal(group.batches.length, 3);
  t.ok(acc.isEmpty, 'empty after take');
  t.equal(acc.size, 0);
  t.same(acc.take(), { batches: [], records: [], offsets: [], rejected: [] }, 'a second take has nothing');
});

t.test('a batch whose records were all filtered still moves its partition on', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 100, lingerMs: 0 });
  acc.add(batch('a', 0, 0, 50, 0), 0);
  t.equal(acc.size, 0, 'counts no record');
  t.notOk(acc.isEmpty, 'but holds a position to commit');
  t.equal(acc.dueIn(0), 0);
  const group = acc.take();
  t.same(group.records, []);
  t.same(group.offsets, [{ topic: 'a', partition: 0, offset: '50' }]);
});

t.test('drop removes revoked partitions only, or everything', async (t) => {
  const acc = new SinkAccumulator({ maxRecords: 100, lingerMs: 0 });
  acc.add(batch('a', 0, 0, 3), 0);
  acc.add(batch('a', 1, 0, 4), 0);
  acc.add(batch('b', 0, 0, 5), 0);
  acc.drop(new Set([topicPartitionKey('a', 1)]));
  t.equal(acc.size, 8);
  t.same(
    acc.take().offsets.map((o) => `${o.topic}-${o.partition}`),
    ['a-0', 'b-0'],
  );
  acc.add(batch('a', 0, 3, 6), 0);
  acc.drop();
  t.ok(acc.isEmpty);
  t.equal(acc.size, 0);
});

t.test('settings come from batch.max.records and batch.linger.ms when the connector has them', async (t) => {
  t.same(batchSettings({ 'batch.max.records': 50_000, 'batch.linger.ms': 250 }), { maxRecords: 50_000, lingerMs: 250 });
  t.same(batchSettings({ topics: 'x' }), DEFAULT_BATCH, 'a sink without them gets the defaults');
  t.same(batchSettings({ 'batch.max.records': '7', 'batch.linger.ms': -1 }), DEFAULT_BATCH, 'values that are not valid counts are ignored');
});
