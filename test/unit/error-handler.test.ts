import t from 'tap';
import { DataError, FatalError, RetriableError, silentLogger } from '../../runtime/api/index.js';
import type { DeadLetterWriter } from '../../runtime/tasks/dead-letter.js';
import { RecordErrorHandler, type ErrorPolicy } from '../../runtime/tasks/record-errors.js';
import { WorkerMetrics } from '../../runtime/observability/metrics.js';

const original = () => ({ key: 'k', value: 'v', headers: {}, topic: 'orders', partition: 0, offset: '7' });

function handler(policy: Partial<ErrorPolicy>, dead: string[] = []) {
  const deadLetter = {
    send: async (_payload: unknown, stage: string, err: Error) => void dead.push(`${stage}: ${err.message}`),
  } as unknown as DeadLetterWriter;
  return new RecordErrorHandler(
    { tolerance: 'all', retryTimeoutMs: 5_000, retryMaxDelayMs: 1, logErrors: false, deadLetter, ...policy },
    { connector: 'c', task: '0' },
    new WorkerMetrics(),
    silentLogger,
    new AbortController().signal,
  );
}

t.test('recover: a retriable first failure is retried, counting the failed attempt', async (t) => {
  let calls = 0;
  const outcome = await handler({}).recover('convert', original, async () => ++calls, new RetriableError('registry busy'));
  t.same(outcome, { ok: true, value: 1 }, 'the retry succeeds');
  t.equal(calls, 1, 'the operation ran once more, not twice: the failed fast attempt counts as the first');
});

t.test('recover: a data error is rejected at once and dead-lettered under tolerance all', async (t) => {
  const dead: string[] = [];
  let calls = 0;
  const outcome = await handler({}, dead).recover('transform', original, async () => ++calls, new DataError('total is negative'));
  t.match(outcome, { ok: false, stage: 'transform', error: { message: 'total is negative' } }, 'the rejection says where and why');
  t.equal(calls, 0, 'not retried');
  t.same(dead, ['transform: total is negative']);
});

t.test('recover: under tolerance none the first failure fails the task', async (t) => {
  await t.rejects(
    handler({ tolerance: 'none' }).recover('convert', original, async () => 1, new DataError('bad bytes')),
    FatalError,
  );
});

t.test('recover: without retries (timeout 0) a retriable failure is rejected like a data error', async (t) => {
  const dead: string[] = [];
  const outcome = await handler({ retryTimeoutMs: 0 }, dead).recover('convert', original, async () => 1, new RetriableError('down'));
  t.match(outcome, { ok: false, stage: 'convert', error: { message: 'down' } });
  t.same(dead, ['convert: down']);
});

t.test('recover: a FatalError fails the task even under tolerance all, and nothing is dead-lettered', async (t) => {
  const dead: string[] = [];
  await t.rejects(
    handler({ tolerance: 'all' }, dead).recover('convert', original, async () => 1, new FatalError('the registry refused the schema')),
    { name: 'FatalError', message: 'the registry refused the schema' },
  );
  t.same(dead, [], 'not one record of a subject the registry refuses goes to the dead-letter topic');
});
