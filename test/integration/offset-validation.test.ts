import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LogManager } from '../../runtime/observability/logging.js';
import { MAX_OFFSET_BYTES, MAX_OFFSET_DEPTH } from '../../runtime/offsets/offset-value.js';
import { buildApp } from '../../runtime/rest/index.js';
import { startWorker, tempDir, waitForState } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

type StoredOffsets = { connectors: Record<string, Array<{ partition: unknown; offset: { n: number } }>> };

const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
};

t.test('a BigInt offset fails only its own task; other connectors keep committing to the same file', async (t) => {
  const dir = tempDir(t);
  const worker = await startWorker(t, dir);
  const source = { 'connector.class': 'counting-source', count: '30', 'value.converter': 'json', 'offset.flush.interval.ms': '50' };
  await worker.createConnector('bigint', { ...source, topic: uniqueName('bigint'), 'offset.bigint': 'true' });
  const failed = await waitFor('the BigInt task to fail', () => {
    const task = worker.status('bigint').tasks[0];
    return task?.state === 'FAILED' ? task : undefined;
  });
  t.match(failed.trace, /offset entry 0 of connector bigint: offset holds a bigint at n; only JSON values/);

  await worker.createConnector('healthy', { ...source, topic: uniqueName('healthy') });
  const file = join(dir, 'offsets.json');
  const stored = await waitFor('n=29 of the healthy connector in the offset file', () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as StoredOffsets;
    return doc.connectors.healthy?.[0]?.offset.n === 29 ? doc : undefined;
  });
  t.same(Object.keys(stored.connectors), ['healthy'], 'the unstorable offset never reached the table');
  t.equal(worker.status('healthy').tasks[0]!.state, 'RUNNING');
  t.notOk(readFileSync(file, 'utf8').includes('\n '), 'the offset file is compact JSON');
});

t.test('PATCH offsets: too deep, too large or not an object is a 400 that changes nothing', async (t) => {
  const dir = tempDir(t);
  const worker = await startWorker(t, dir);
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }) });
  t.teardown(() => app.close());
  const topic = uniqueName('patch');
  await worker.createConnector('src', { 'connector.class': 'counting-source', topic, count: '5', 'value.converter': 'json', 'offset.flush.interval.ms': '50' });
  await waitFor('offset n=4', async () => ((await worker.offsets('src'))[0]?.offset?.n === 4 ? true : undefined));
  await worker.stopConnector('src');
  const before = readFileSync(join(dir, 'offsets.json'), 'utf8');
  const patch = (offsets: unknown) => app.inject({ method: 'PATCH', url: '/connectors/src/offsets', payload: { offsets } });

  for (const depth of [1000, 5000]) {
    // Built as text: serialising so deep an object would itself overflow the test's stack.
    const partition = '{"a":'.repeat(depth - 1) + '{"leaf":1}' + '}'.repeat(depth - 1);
    const res = await app.inject({
      method: 'PATCH',
      url: '/connectors/src/offsets',
      headers: { 'content-type': 'application/json' },
      payload: `{"offsets":[{"partition":${partition},"offset":{"n":1}}]}`,
    });
    t.equal(res.statusCode, 400, `${depth}-deep partition`);
    t.match(res.json(), { error_code: 400, message: new RegExp(`partition is nested deeper than ${MAX_OFFSET_DEPTH} levels`) });
  }
  const deepOffset = await patch([{ partition: { counter: 0 }, offset: nested(MAX_OFFSET_DEPTH + 1) }]);
  t.equal(deepOffset.statusCode, 400, 'too deep an offset');
  const large = await patch([{ partition: { counter: 0 }, offset: { n: 1, pad: 'x'.repeat(MAX_OFFSET_BYTES) } }]);
  t.equal(large.statusCode, 400, 'too large an offset');
  t.match(large.json(), { message: new RegExp(`offset is \\d+ bytes of JSON; at most ${MAX_OFFSET_BYTES}`) });
  const array = await patch([{ partition: { counter: 0 }, offset: { n: [1, { deep: nested(MAX_OFFSET_DEPTH) }] } }]);
  t.equal(array.statusCode, 400, 'depth counts through arrays');

  t.equal(readFileSync(join(dir, 'offsets.json'), 'utf8'), before, 'the offset file is unchanged');
  t.same(await worker.offsets('src'), [{ partition: { counter: 0 }, offset: { n: 4 } }], 'the stored offsets are unchanged');

  const ok = await patch([{ partition: { counter: 0 }, offset: { n: 2, token: { nested: nested(MAX_OFFSET_DEPTH - 2) } } }]);
  t.equal(ok.statusCode, 200, `${MAX_OFFSET_DEPTH} levels are accepted`);
  await worker.resume('src');
  await waitForState(worker, 'src', 'RUNNING');
});
