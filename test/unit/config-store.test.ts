import t from 'tap';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileConnectorConfigStore } from '../../runtime/herder/file-config-store.js';
import { tempDir } from '../fixtures/worker.js';

t.test('a failed write does not poison later writes of the connector config store', async (t) => {
  const path = join(tempDir(t), 'connectors.json');
  const store = new FileConnectorConfigStore(path);
  await store.load();
  mkdirSync(path); // the rename over a directory fails, whoever runs the test
  await t.rejects(store.save('a', { a: '1' }, 'RUNNING'), 'the write fails');
  rmSync(path, { recursive: true });
  await store.save('b', { b: '2' }, 'PAUSED');
  const reloaded = await new FileConnectorConfigStore(path).load();
  t.same(
    reloaded,
    [
      { name: 'a', config: { a: '1' }, target: 'RUNNING' },
      { name: 'b', config: { b: '2' }, target: 'PAUSED' },
    ],
    'the next write succeeds and carries both',
  );
});
