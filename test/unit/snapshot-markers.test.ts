/**
 * Snapshot markers as control records: the headers a source runner writes on every partition, read
 * back by sinks; and the sink's snapshot.sweep.topics. The sweep itself runs against PostgreSQL in
 * test/integration/snapshot-sweep.
 */
import t from 'tap';
import { ConfigError, SNAPSHOT_HEADER, snapshotCompleteOf, snapshotCompleteRecord, snapshotHeaders } from '../../runtime/api/index.js';
import { parseSweepTopics } from '../../connectors/postgres-sink/snapshot-sweep.js';

t.test('the marker headers round-trip, and anything else is no marker', async (t) => {
  const start = { ms: 1_767_225_600_000, seq: 3 };
  t.same(snapshotCompleteOf(snapshotHeaders(start, 6)), { start, partitions: 6 });
  const asBuffers = Object.fromEntries(Object.entries(snapshotHeaders(start, 2)).map(([k, v]) => [k, Buffer.from(v)]));
  t.same(snapshotCompleteOf(asBuffers), { start, partitions: 2 }, 'as kafkajs delivers them');
  t.equal(snapshotCompleteOf({}), undefined);
  t.equal(snapshotCompleteOf({ [SNAPSHOT_HEADER.complete]: '1.2', [SNAPSHOT_HEADER.partitions]: '0' }), undefined, 'no partitions');
  t.equal(snapshotCompleteOf({ [SNAPSHOT_HEADER.complete]: 'soon', [SNAPSHOT_HEADER.partitions]: '3' }), undefined);
  const record = snapshotCompleteRecord('orders-cdc', start, { ms: start.ms - 1, seq: 0 });
  t.same([record.watermark, record.snapshotComplete], [{ ms: start.ms - 1, seq: 0 }, start], 'a watermark below the start, carrying the marker');
});

t.test('snapshot.sweep.topics: <topic>:order|customer pairs, or a ConfigError naming the key', async (t) => {
  t.same(
    [...parseSweepTopics('orders-cdc:order, customers-cdc:customer')],
    [
      ['orders-cdc', 'order'],
      ['customers-cdc', 'customer'],
    ],
  );
  t.equal(parseSweepTopics('').size, 0);
  for (const bad of ['orders-cdc', 'orders-cdc:orders', ':order']) {
    t.throws(() => parseSweepTopics(bad), ConfigError, bad);
    try {
      parseSweepTopics(bad);
    } catch (err) {
      t.same(
        (err as ConfigError).errors.map((e) => e.key),
        ['snapshot.sweep.topics'],
      );
    }
  }
});
