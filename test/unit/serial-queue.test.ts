import t from 'tap';
import { SerialQueue } from '../../runtime/support/serial-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('operations of one key run one at a time, in call order; other keys are not held up', async (t) => {
  const queue = new SerialQueue();
  const log: string[] = [];
  let release!: () => void;
  const first = queue.run('a', async () => {
    log.push('a1 start');
    await new Promise<void>((resolve) => (release = resolve));
    log.push('a1 end');
    return 1;
  });
  const second = queue.run('a', async () => {
    log.push('a2');
    return 2;
  });
  const other = queue.run('b', async () => {
    log.push('b1');
    return 3;
  });
  await other;
  await tick();
  t.same(log, ['a1 start', 'b1'], 'a2 waits for a1; b1 does not');
  t.same(queue.busyKeys(), ['a']);
  release();
  t.same(await Promise.all([first, second]), [1, 2]);
  t.same(log, ['a1 start', 'b1', 'a1 end', 'a2']);
  await tick();
  t.same(queue.busyKeys(), [], 'idle keys are forgotten');
});

t.test('a failed operation reports to its caller and does not block the next', async (t) => {
  const queue = new SerialQueue();
  const failed = queue.run('a', async () => {
    throw new Error('boom');
  });
  const next = queue.run('a', async () => 'ran');
  await t.rejects(failed, /boom/);
  t.equal(await next, 'ran');
});
