import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../runtime/observability/logging.js';
import { main } from '../../cli/main.js';
import { buildApp } from '../../runtime/rest/app.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName } from '../helpers/services.js';

async function run(args: string[]) {
  const lines: string[] = [];
  const code = await main(
    args,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, text: lines.join('\n') };
}

t.test('conflux apply: plan, create, no-op on repeat, update only what changed, prune', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }), authToken: 'apply-test-token-0123456789' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const auth = ['--url', url, '--token', 'apply-test-token-0123456789'];

  const dir = tempDir(t);
  const write = (name: string, config: Record<string, unknown>) => writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, config }));
  const source = (count: number) => ({ 'connector.class': 'counting-source', topic: uniqueName('apply'), count, 'value.converter': 'json' });
  const a = source(0);
  write('alpha', a);
  write('beta', source(0));

  const dry = await run(['apply', dir, '--dry-run', ...auth]);
  t.equal(dry.code, 0);
  t.match(dry.text, /^\+ create alpha$/m);
  t.match(dry.text, /^\+ create beta$/m);
  t.match(dry.text, /Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged\./);
  t.same(worker.connectorNames(), [], '--dry-run changes nothing');

  const applied = await run(['apply', dir, ...auth]);
  t.equal(applied.code, 0, applied.text);
  t.same(worker.connectorNames(), ['alpha', 'beta']);

  const again = await run(['apply', dir, ...auth]);
  t.match(again.text, /Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged\./, 'a second apply is a no-op');

  write('alpha', { ...a, count: 5 });
  rmSync(join(dir, 'beta.json'));
  const noPrune = await run(['apply', dir, '--dry-run', ...auth]);
  t.match(noPrune.text, /^~ update alpha\n {4}~ count: 0 -> 5$/m, 'the changed key, old and new value');
  t.notMatch(noPrune.text, /delete beta/, 'without --prune nothing is deleted');

  const pruned = await run(['apply', dir, '--prune', ...auth]);
  t.equal(pruned.code, 0, pruned.text);
  t.match(pruned.text, /^- delete beta$/m);
  t.same(worker.connectorNames(), ['alpha']);
  t.equal(worker.config('alpha').count, '5', 'the update reached the worker');

  const unauthorized = await run(['apply', dir, '--url', url, '--token', 'wrong-token-wrong-token']);
  t.equal(unauthorized.code, 1, 'a failed request exits non-zero');
  t.match(unauthorized.text, /401/);

  write('broken', { 'connector.class': 'counting-source' });
  const invalid = await run(['apply', dir, ...auth]);
  t.equal(invalid.code, 1, 'an invalid connector makes apply exit non-zero');
  t.match(invalid.text, /error: create broken: POST \/connectors: 400 .*topic/);
});

t.test('conflux status prints connectors and tasks as a table', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  await worker.createConnector(
    'ticker',
    { 'connector.class': 'counting-source', topic: uniqueName('status'), count: '0', 'value.converter': 'json' },
    'PAUSED',
  );
  const { code, text } = await run(['status', '--url', url]);
  t.equal(code, 0);
  const lines = text.split('\n');
  t.match(lines[0], /^CONNECTOR\s+TYPE\s+TASK\s+STATE\s+WORKER/);
  t.match(lines[1], /^ticker\s+source\s+-\s+PAUSED\s/);
  t.match(lines[2], /^\s+0\s+PAUSED\s/);
});
