import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../runtime/api/index.js';
import { readConnectorPaths } from '../../cli/connector-files.js';

t.test('connector paths: files as they are, directories as their *.json files in name order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conflux-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'connectors'));
  writeFileSync(join(dir, 'connectors', 'b.json'), JSON.stringify({ name: 'b', config: { 'connector.class': 'x', 'tasks.max': 2 } }));
  writeFileSync(join(dir, 'connectors', 'a.json'), JSON.stringify({ name: 'a', config: { 'connector.class': 'x' } }));
  writeFileSync(join(dir, 'connectors', 'notes.txt'), 'not a connector');
  writeFileSync(join(dir, 'single.json'), JSON.stringify({ name: 'single', config: { 'connector.class': 'y' } }));

  const files = await readConnectorPaths([join(dir, 'single.json'), join(dir, 'connectors')]);
  t.same(
    files.map((f) => f.name),
    ['single', 'a', 'b'],
  );
  t.same(files[2]!.config, { 'connector.class': 'x', 'tasks.max': '2' }, 'values become strings, as Kafka Connect configs are');

  writeFileSync(join(dir, 'connectors', 'c.json'), JSON.stringify({ name: 'a', config: {} }));
  await t.rejects(readConnectorPaths([join(dir, 'connectors')]), ConfigError, 'a name defined twice is refused');
  await t.rejects(readConnectorPaths([join(dir, 'missing.json')]), ConfigError, 'a missing file is a ConfigError');
});
