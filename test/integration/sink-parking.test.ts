/**
 * A record a transform cannot decide yet is parked by the sink runtime: other keys go on to the
 * sink at once, later records of its key queue behind it, committed offsets stop below it (so a
 * restart reads it again), and at the bound of parked records the task waits, visibly.
 */
import t from 'tap';
import { collected, managedOffsets } from '../fixtures/collecting-sink.js';
import { gate } from '../fixtures/gate-transform.js';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

async function produce(topic: string, records: Array<{ key: string; n: number }>): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: records.map((r) => ({ key: r.key, value: JSON.stringify({ n: r.n }), partition: 0 })) });
  await producer.disconnect();
}

const ns = (collector: string) => (collected.get(collector) ?? []).map((r) => (r.value as { n: number }).n);

t.test('a parked record holds back only its key; other keys reach the sink, offsets stop below it, it lands when decided', async (t) => {
  const topic = uniqueName('parking');
  const collector = uniqueName('parking-collector');
  const gateName = uniqueName('gate');
  await createTopic(topic, 1);
  // Key a: n=1 (held), then n=2 and n=3, which must wait behind it; keys b and c flow.
  gate(gateName).held.add(1);
  await produce(topic, [
    { key: 'a', n: 1 },
    { key: 'b', n: 10 },
    { key: 'a', n: 2 },
    { key: 'c', n: 20 },
    { key: 'b', n: 11 },
    { key: 'a', n: 3 },
    { key: 'c', n: 21 },
  ]);
  const worker = await startWorker(t, tempDir(t));
  const sink = uniqueName('parking-sink');
  await worker.createConnector(sink, {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'offsets.managed': 'true',
    'value.converter': 'json',
    transforms: 'hold',
    'transforms.hold.type': 'Gate',
    'transforms.hold.gate': gateName,
  });
  await waitFor('the other keys', () => (ns(collector).length >= 4 ? true : undefined));
  t.same(ns(collector), [10, 20, 11, 21], 'keys b and c went on while a waited');
  t.equal(managedOffsets.get(collector)?.get(`${topic}/0`), '0', 'the committed offset stops below the parked record (offset 0)');
  const metrics = await worker.metrics.text();
  t.match(
    metrics,
    new RegExp(`conflux_sink_records_parked\\{connector="${sink}",task="0"\\} 3`),
    'three records of key a are parked (one held, two behind it)',
  );

  gate(gateName).release();
  await waitFor('key a', () => (ns(collector).length >= 7 ? true : undefined));
  t.same(ns(collector).slice(4), [1, 2, 3], 'key a lands in its order once decided');
  await waitFor('the offset past everything', () => (managedOffsets.get(collector)?.get(`${topic}/0`) === '7' ? true : undefined));
  t.match(await worker.metrics.text(), new RegExp(`conflux_sink_records_parked\\{connector="${sink}",task="0"\\} 0`));
  t.equal(worker.status(sink).tasks[0]!.state, 'RUNNING');
});

t.test('a restart while a record is parked reads it again: nothing lost, nothing else doubled', async (t) => {
  const topic = uniqueName('parking-restart');
  const collector = uniqueName('parking-restart-collector');
  const gateName = uniqueName('gate-restart');
  await createTopic(topic, 1);
  gate(gateName).held.add(2);
  await produce(
    topic,
    [1, 2, 3, 4].map((n) => ({ key: `k${n}`, n })),
  );
  const state = tempDir(t);
  const config = {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'offsets.managed': 'true',
    'value.converter': 'json',
    transforms: 'hold',
    'transforms.hold.type': 'Gate',
    'transforms.hold.gate': gateName,
  };
  const sink = uniqueName('parking-restart-sink');
  const first = await startWorker(t, state);
  await first.createConnector(sink, config);
  await waitFor('1, 3, 4', () => (ns(collector).length >= 3 ? true : undefined));
  t.equal(managedOffsets.get(collector)?.get(`${topic}/0`), '1', 'committed up to the parked record only');
  await first.stop();
  gate(gateName).release();
  const second = await startWorker(t, state);
  await second.createConnector(sink, config);
  await waitFor('2 after the restart', () => (ns(collector).includes(2) ? true : undefined));
  await waitFor('offset 4', () => (managedOffsets.get(collector)?.get(`${topic}/0`) === '4' ? true : undefined));
  const got = ns(collector);
  t.same(
    got.filter((n) => n === 2),
    [2],
    'the parked record arrives once, after the restart',
  );
  t.same([...new Set(got)].sort(), [1, 2, 3, 4], 'every record arrived (3 and 4 again after the restart: at least once, as the offsets said)');
});

t.test('at the bound of parked records the task waits and says so; it goes on once they are decided', async (t) => {
  const topic = uniqueName('parking-bound');
  const collector = uniqueName('parking-bound-collector');
  const gateName = uniqueName('gate-bound');
  await createTopic(topic, 1);
  for (let n = 0; n < 5; n++) gate(gateName).held.add(n);
  await produce(
    topic,
    Array.from({ length: 20 }, (_, n) => ({ key: `k${n}`, n })),
  );
  const worker = await startWorker(t, tempDir(t));
  const sink = uniqueName('parking-bound-sink');
  await worker.createConnector(sink, {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'value.converter': 'json',
    'parking.max.records': '3',
    transforms: 'hold',
    'transforms.hold.type': 'Gate',
    'transforms.hold.gate': gateName,
  });
  const full = await waitFor('the task to say it waits', () => {
    const progress = worker.status(sink).tasks[0]?.progress;
    return progress?.some((p) => /parked records at their bound/.test(p.phase)) ? progress : undefined;
  });
  t.match(full, [{ source: sink, total: 3 }]);
  t.match(await worker.metrics.text(), new RegExp(`conflux_sink_parking_full\\{connector="${sink}",task="0"\\} 1`));
  t.ok(ns(collector).length < 20, `not everything went through while full (${ns(collector).length})`);
  gate(gateName).release();
  await waitFor('all 20', () => (ns(collector).length >= 20 ? true : undefined));
  t.same(
    [...ns(collector)].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, n) => n),
    'nothing was dropped',
  );
  t.match(await worker.metrics.text(), new RegExp(`conflux_sink_parking_full\\{connector="${sink}",task="0"\\} 0`));
});
