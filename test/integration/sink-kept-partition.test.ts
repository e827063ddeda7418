/**
 * A partition a sink task keeps across a rebalance before its first flush resumes where the task
 * asked (its own stored offset), not at the consumer group's committed offset: when the group is
 * ahead of the sink's store (a warehouse restored from a backup), nothing is skipped.
 */
import t from 'tap';
import { collected, managedOffsets } from '../fixtures/collecting-sink.js';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

t.test('a rebalance before the first flush: kept partitions resume at the sink-managed offset, not the group offset', async (t) => {
  const topic = uniqueName('kept');
  const collector = uniqueName('kept-collector');
  const name = uniqueName('kept-sink');
  await createTopic(topic, 2);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [0, 1].flatMap((partition) =>
      Array.from({ length: 10 }, (_, i) => ({ partition, key: `k${i}`, value: JSON.stringify({ n: partition * 100 + i }) })),
    ),
  });
  await producer.disconnect();
  // The sink's own store is at 0; the group is ahead at 5 on both partitions.
  managedOffsets.set(
    collector,
    new Map([
      [`${topic}/0`, '0'],
      [`${topic}/1`, '0'],
    ]),
  );
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: `connect-${name}`, topic, partitions: [0, 1].map((partition) => ({ partition, offset: '5' })) });
  await admin.disconnect();

  const worker = await startWorker(t, tempDir(t));
  // Nothing is flushed for a while: the rebalance comes before the first flush.
  await worker.createConnector(name, {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'offsets.managed': 'true',
    'value.converter': 'json',
    'batch.linger.ms': '12000',
    'batch.max.records': '1000',
  });
  // Both partitions fetched and staged (from the sink's offset 0), nothing flushed yet.
  await waitFor('both partitions fetched', async () => {
    const text = await worker.metrics.text();
    const consumed = new RegExp(`conflux_sink_records_consumed_total\\{connector="${name}",task="0"\\} (\\d+)`).exec(text)?.[1];
    return Number(consumed ?? 0) >= 20 ? true : undefined;
  });
  t.equal(collected.get(collector)?.length ?? 0, 0, 'nothing flushed before the rebalance');
  // Another member joins the sink's group and takes a partition, then leaves again.
  const intruder = kafka.consumer({ groupId: `connect-${name}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await intruder.connect();
  await intruder.subscribe({ topics: [topic], fromBeginning: true });
  let joined!: () => void;
  const assigned = new Promise<void>((resolve) => (joined = resolve));
  intruder.on(intruder.events.GROUP_JOIN, (e) => {
    if (Object.values(e.payload.memberAssignment).flat().length > 0) joined();
  });
  await intruder.run({ autoCommit: false, eachBatch: async () => undefined });
  await assigned;
  await intruder.disconnect();
  await waitFor('every record, once the linger is over', () => ((collected.get(collector)?.length ?? 0) >= 20 ? true : undefined), 60_000);
  const numbers = (collected.get(collector) ?? []).map((r) => (r.value as { n: number }).n).sort((a, b) => a - b);
  t.same(
    numbers,
    [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)],
    'records 0..4 of both partitions are not skipped',
  );
});
