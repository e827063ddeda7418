import t from 'tap';
import { OrderedSends } from '../../runtime/source/ordered-sends.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

t.test('batches are sent one at a time in queue order, and enqueue waits while the limit is reached', async (t) => {
  const started: number[] = [];
  const gates = new Map<number, ReturnType<typeof deferred>>();
  let concurrent = 0;
  let maxConcurrent = 0;
  const sends = new OrderedSends<number>(async (n) => {
    started.push(n);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const gate = deferred();
    gates.set(n, gate);
    await gate.promise;
    concurrent--;
  }, 2);

  await sends.enqueue(1);
  t.equal(sends.inFlight, 1, 'below the limit: enqueue returns at once');
  let secondReturned = false;
  const second = sends.enqueue(2).then(() => (secondReturned = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(secondReturned, 'at the limit: enqueue waits for room');
  t.same(started, [1], 'the second batch waits for the first to be sent');
  gates.get(1)!.resolve();
  await second;
  t.ok(secondReturned, 'room again once the first send completed');
  await new Promise((r) => setImmediate(r));
  t.same(started, [1, 2]);
  gates.get(2)!.resolve();
  await sends.drain();
  t.equal(maxConcurrent, 1, 'sends never overlap');
  t.equal(sends.inFlight, 0);
});

t.test('a failed send stops every batch queued behind it and is rethrown', async (t) => {
  const sent: number[] = [];
  const first = deferred();
  const sends = new OrderedSends<number>(async (n) => {
    if (n === 1) await first.promise;
    sent.push(n);
  }, 5);
  await sends.enqueue(1);
  await sends.enqueue(2);
  await sends.enqueue(3);
  first.reject(new Error('broker gone'));
  await t.rejects(sends.drain(), /broker gone/, 'drain rethrows the first failure');
  t.same(sent, [], 'nothing behind the failed batch was sent, so order cannot break');
  await t.rejects(sends.enqueue(4), /broker gone/, 'later batches are refused');
  t.equal(sends.inFlight, 0, 'nothing is left counted as in flight');
});
