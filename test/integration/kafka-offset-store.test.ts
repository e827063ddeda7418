import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaOffsetStore } from '../../runtime/offsets/kafka-store.js';
import { services, uniqueName } from '../helpers/services.js';

const kafka = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });

t.test('kafka offset store: offsets survive a restart of the store; deletes are tombstones', async (t) => {
  const topic = uniqueName('conflux-offsets');
  const first = new KafkaOffsetStore(kafka, topic);
  await first.start();
  await first.set('orders', [
    { partition: { collection: 'orders' }, offset: { token: 'a' } },
    { partition: { collection: 'customers' }, offset: { token: 'b' } },
  ]);
  await first.set('orders', [{ partition: { collection: 'orders' }, offset: { token: 'c' } }]);
  await first.set('other', [{ partition: { p: 1 }, offset: { n: 1 } }]);
  await first.flush();
  await first.stop();

  const second = new KafkaOffsetStore(kafka, topic);
  await second.start();
  t.same(await second.get('orders', { collection: 'orders' }), { token: 'c' }, 'the newest offset wins');
  t.same(await second.get('orders', { collection: 'customers' }), { token: 'b' });
  await second.deleteAll('orders');
  await second.stop();

  const third = new KafkaOffsetStore(kafka, topic);
  await third.start();
  t.same(await third.getAll('orders'), [], 'deleted offsets stay deleted');
  t.same(await third.getAll('other'), [{ partition: { p: 1 }, offset: { n: 1 } }], 'other connectors untouched');
  await third.stop();

  const admin = kafka.admin();
  await admin.connect();
  const [config] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false })).resources;
  await admin.disconnect();
  t.equal(config!.configEntries[0]!.configValue, 'compact', 'the offsets topic is compacted');
});
