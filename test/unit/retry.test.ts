import t from 'tap';
import { DataError, RetriableError, StageError } from '../../runtime/errors.js';
import { withRetry, type Clock } from '../../runtime/tasks/retry.js';

/** A clock whose sleep advances time instantly and records the delays. */
function fakeClock(): Clock & { sleeps: number[]; time: number } {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

function failing(times: number, make: () => Error = () => new RetriableError('down')) {
  let calls = 0;
  const fn = async () => {
    calls++;
    if (calls <= times) throw make();
    return 'ok';
  };
  return { fn, calls: () => calls };
}

t.test('retries retriable errors with capped exponential backoff', async (t) => {
  const clock = fakeClock();
  const f = failing(5);
  const retries: number[] = [];
  const result = await withRetry(f.fn, {
    timeoutMs: 60_000,
    maxDelayMs: 1000,
    clock,
    random: () => 0.999999,
    onRetry: (_e, attempt) => retries.push(attempt),
  });
  t.equal(result, 'ok');
  t.equal(f.calls(), 6);
  t.same(retries, [1, 2, 3, 4, 5]);
  t.same(clock.sleeps, [299, 599, 999, 999, 999], 'ceiling doubles from 300 ms and is capped');
});

t.test("a retriable error's retryAfterMs caps the backoff sleep", async (t) => {
  const clock = fakeClock();
  const f = failing(3, () => new RetriableError('waiting for a customer', { retryAfterMs: 400 }));
  await withRetry(f.fn, { timeoutMs: 60_000, maxDelayMs: 5000, clock, random: () => 0.999999 });
  t.same(clock.sleeps, [299, 400, 400], 'never past the time the plugin named');

  const staged = fakeClock();
  const g = failing(2, () => new StageError('transform:enrich', new RetriableError('waiting', { retryAfterMs: 50 })));
  await withRetry(g.fn, { timeoutMs: 60_000, maxDelayMs: 5000, clock: staged, random: () => 0.999999 });
  t.same(staged.sleeps, [50, 50], 'also when a transform stage wrapped the error');
});

t.test('full jitter: the delay is random below the ceiling', async (t) => {
  const clock = fakeClock();
  await withRetry(failing(2).fn, { timeoutMs: 10_000, maxDelayMs: 60_000, clock, random: () => 0.5 });
  t.same(clock.sleeps, [150, 300]);
});

t.test('timeout 0 means a single attempt', async (t) => {
  const clock = fakeClock();
  const f = failing(1);
  await t.rejects(withRetry(f.fn, { timeoutMs: 0, maxDelayMs: 1000, clock }), RetriableError);
  t.equal(f.calls(), 1);
});

t.test('gives up after the time budget with one attempt at the deadline', async (t) => {
  const clock = fakeClock();
  const f = failing(100);
  await t.rejects(withRetry(f.fn, { timeoutMs: 1000, maxDelayMs: 10_000, clock, random: () => 0.999 }), { message: 'down' });
  t.equal(clock.time, 1000, 'the last sleep is cut to end at the deadline');
  t.same(clock.sleeps, [299, 599, 102]);
  t.equal(f.calls(), 4);
});

t.test('non-retriable errors are rethrown at once', async (t) => {
  const clock = fakeClock();
  const f = failing(1, () => new DataError('bad'));
  await t.rejects(withRetry(f.fn, { timeoutMs: -1, maxDelayMs: 1000, clock }), DataError);
  t.equal(f.calls(), 1);
  t.same(clock.sleeps, []);
});

t.test('timeout -1 retries until aborted, then rethrows the last error', async (t) => {
  const clock = fakeClock();
  const ac = new AbortController();
  let calls = 0;
  const fn = async () => {
    if (++calls === 50) ac.abort(new Error('stopping'));
    throw new RetriableError(`attempt ${calls}`);
  };
  await t.rejects(withRetry(fn, { timeoutMs: -1, maxDelayMs: 1000, clock, signal: ac.signal }), { message: 'attempt 50' });
  t.equal(calls, 50);
});

t.test('already aborted: no attempt, the abort reason is thrown', async (t) => {
  const ac = new AbortController();
  ac.abort(new Error('stopped'));
  let calls = 0;
  await t.rejects(
    withRetry(async () => ++calls, { timeoutMs: -1, maxDelayMs: 10, signal: ac.signal }),
    { message: 'stopped' },
  );
  t.equal(calls, 0);
});

t.test('already aborted with attemptWhenAborted: one attempt, no retries', async (t) => {
  const ac = new AbortController();
  ac.abort(new Error('stopped'));
  let calls = 0;
  const ok = await withRetry(async () => ++calls, { timeoutMs: -1, maxDelayMs: 10, signal: ac.signal, attemptWhenAborted: true });
  t.equal(ok, 1, 'the first attempt ran');
  const failing = withRetry(
    async () => {
      calls += 1;
      throw new RetriableError('down');
    },
    { timeoutMs: -1, maxDelayMs: 10, signal: ac.signal, attemptWhenAborted: true },
  );
  await t.rejects(failing, { message: 'down' });
  t.equal(calls, 2, 'a failed attempt is not retried once stopped');
});

t.test('real clock: abort interrupts the backoff sleep', async (t) => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 30);
  await t.rejects(
    withRetry(
      async () => {
        throw new RetriableError('down');
      },
      { timeoutMs: -1, maxDelayMs: 60_000, signal: ac.signal, random: () => 0.99 },
    ),
    { message: 'down' },
  );
  t.ok(Date.now() - started < 250, 'did not sleep the full 297 ms backoff');
});

t.test('real clock: small delays end in success', async (t) => {
  const f = failing(2);
  t.equal(await withRetry(f.fn, { timeoutMs: 5000, maxDelayMs: 5 }), 'ok');
});
