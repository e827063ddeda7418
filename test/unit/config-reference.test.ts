import { readFile } from 'node:fs/promises';
import t from 'tap';
import { connectors } from '../../connectors/index.js';
import { renderConfigReference } from '../../scripts/config-reference.js';
import { predicates, transforms } from '../../transforms/index.js';

const committedPath = new URL('../../docs/configuration.md', import.meta.url);

t.test('docs/configuration.md is up to date with the plugin and worker schemas', async (t) => {
  const committed = await readFile(committedPath, 'utf8').catch(() => '');
  const generated = renderConfigReference();
  t.ok(committed.length > 0, 'docs/configuration.md exists');
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    t.fail('docs/configuration.md is out of date with the schemas: run `npm run docs:config` and commit the result', {
      firstDifferenceAtLine: line + 1,
      committed: a[line],
      generated: b[line],
    });
  } else {
    t.pass('docs/configuration.md matches the generated reference');
  }
});

t.test('the reference covers every plugin and every key of its schema', async (t) => {
  const text = renderConfigReference();
  for (const def of [...Object.values(connectors), ...Object.values(transforms), ...Object.values(predicates)]) {
    t.match(text, `\`${def.name}\``, `${def.name} has a section`);
    for (const key of Object.keys((def.config as unknown as { properties?: object }).properties ?? {})) t.match(text, `| \`${key}\` |`, `${def.name}: ${key}`);
  }
  t.match(text, /\| `connection\.uri` \| string, required, secret \|/, 'secret keys are marked');
  t.match(text, /\| `rest\.port` \| int \| `8083` \|/, 'worker keys with their defaults');
  t.match(text, /configured with transforms\.&lt;alias&gt;\.type/, 'angle brackets in descriptions are escaped for Markdown');
});
