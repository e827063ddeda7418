import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { validateFiles } from '../../cli/commands/validate.js';
import { tempDir, testPlugins } from '../fixtures/worker.js';

t.test('validate reports every error of a bad file with its key', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.json');
  const bad = join(dir, 'bad.json');
  writeFileSync(good, JSON.stringify({ name: 'ok', config: { 'connector.class': 'counting-source', topic: 't', count: 5 } }));
  writeFileSync(bad, JSON.stringify({ name: 'bad', config: { 'connector.class': 'counting-source', count: 'many', 'tasks.max': '0', typo: 'x' } }));
  const lines: string[] = [];
  const invalid = await validateFiles([good, bad], testPlugins, (l) => lines.push(l));
  t.equal(invalid, 1);
  t.equal(lines[0], `ok       ${good}`);
  t.equal(lines[1], `invalid  ${bad}`);
  const text = lines.join('\n');
  t.match(text, /\n {2}topic: /, 'the missing required key');
  t.match(text, /\n {2}count: /, 'the wrongly typed key');
  t.match(text, /\n {2}tasks\.max: /, 'the out-of-range key');
  t.match(text, /\n {2}typo: /, 'the unknown key');
});

t.test('conflux validate exits non-zero on a bad file and names the key', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ name: 'bad', config: { 'connector.class': 'no-such-plugin' } }));
  const out: string[] = [];
  const code = await main(
    ['validate', bad],
    (l) => out.push(l),
    (l) => out.push(l),
  );
  t.equal(code, 1);
  t.match(out.join('\n'), /connector\.class: unknown connector plugin 'no-such-plugin'/);
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ nope');
  t.equal(
    await main(
      ['validate', notJson],
      () => {},
      () => {},
    ),
    1,
    'unparseable file',
  );
  t.equal(
    await main(
      ['frobnicate'],
      () => {},
      () => {},
    ),
    2,
    'unknown command is a usage error',
  );
});
