import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { tempDir } from '../fixtures/worker.js';

async function standalone(worker: Record<string, unknown>) {
  const dir = tempDir(t);
  const file = join(dir, 'worker.json');
  writeFileSync(file, JSON.stringify({ 'state.dir': join(dir, 'state'), ...worker }));
  const lines: string[] = [];
  const code = await main(
    ['standalone', '--worker', file],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, text: lines.join('\n') };
}

t.test('standalone refuses to serve beyond loopback without a token', async (t) => {
  const { code, text } = await standalone({ 'rest.host': '0.0.0.0' });
  t.equal(code, 1);
  t.match(text, /error: rest\.host: refusing to serve the API on 0\.0\.0\.0 without rest\.auth\.token/);
});

t.test('standalone reports every invalid worker key, and a missing secret by its key only', async (t) => {
  delete process.env.CONFLUX_TEST_UNSET_TOKEN;
  const { code, text } = await standalone({ 'rest.port': 'eighty', 'offset.storage': 'cloud', 'rest.auth.token': '${env:CONFLUX_TEST_UNSET_TOKEN}' });
  t.equal(code, 1);
  t.match(text, /rest\.auth\.token/, 'the unresolvable placeholder is named by its key');
  const second = await standalone({ 'rest.port': 'eighty', 'offset.storage': 'cloud' });
  t.match(second.text, /rest\.port: /);
  t.match(second.text, /offset\.storage: /);
});
