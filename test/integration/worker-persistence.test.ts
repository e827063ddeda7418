import t from 'tap';
import { join } from 'node:path';
import { createStandaloneHerder } from '../../runtime/herder/create-herder.js';
import { loadWorkerConfig } from '../../runtime/config/load-worker-config.js';
import { FileConnectorConfigStore } from '../../runtime/herder/file-config-store.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { tempDir, testPlugins } from '../fixtures/worker.js';
import { services, uniqueName } from '../helpers/services.js';

t.test('connectors created or changed through the worker come back after a restart, with their desired state', async (t) => {
  const state = tempDir(t);
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': services().kafkaBrokers.join(','),
    'schema.registry.url': services().schemaRegistryUrl,
    'offset.storage.file.filename': join(state, 'offsets.json'),
  });
  const boot = async () => {
    const worker = createStandaloneHerder(config, testPlugins, {
      logs: new LogManager({ level: 'fatal' }),
      configStore: new FileConnectorConfigStore(join(state, 'connectors.json')),
    });
    await worker.start();
    return worker;
  };
  const topic = uniqueName('persist');
  const first = await boot();
  await first.createConnector('kept', { 'connector.class': 'counting-source', topic, count: '0', 'value.converter': 'json' }, 'STOPPED');
  await first.createConnector('changed', { 'connector.class': 'counting-source', topic, count: '0', 'value.converter': 'json' }, 'STOPPED');
  await first.putConnectorConfig('changed', { 'connector.class': 'counting-source', topic, count: '3', 'value.converter': 'json' });
  await first.createConnector('dropped', { 'connector.class': 'counting-source', topic, count: '0', 'value.converter': 'json' }, 'STOPPED');
  await first.deleteConnector('dropped');
  await first.stop();

  const second = await boot();
  t.teardown(() => second.stop());
  t.same(second.connectorNames(), ['changed', 'kept'], 'created connectors are back, the deleted one is not');
  t.equal(second.config('changed').count, '3', 'with the updated config');
  t.equal(second.target('kept'), 'STOPPED', 'and the desired state');
  t.equal(second.status('kept').connector.state, 'STOPPED');
});

t.test('concurrent creates of one name: one wins, the other gets a conflict', async (t) => {
  const state = tempDir(t);
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': services().kafkaBrokers.join(','),
    'offset.storage.file.filename': join(state, 'offsets.json'),
  });
  const worker = createStandaloneHerder(config, testPlugins, { logs: new LogManager({ level: 'fatal' }) });
  await worker.start();
  t.teardown(() => worker.stop());
  const body = { 'connector.class': 'counting-source', topic: uniqueName('race'), count: '0', 'value.converter': 'json' };
  const results = await Promise.allSettled([worker.createConnector('twin', body, 'STOPPED'), worker.createConnector('twin', body, 'STOPPED')]);
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  t.match((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason, { name: 'ConflictError' });
});
