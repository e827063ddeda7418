import t from 'tap';
import { abortable } from '../../runtime/abortable.js';

t.test('abortable settles with the work when not aborted', async (t) => {
  t.equal(await abortable(Promise.resolve(42), new AbortController().signal), 42);
  await t.rejects(abortable(Promise.reject(new Error('boom')), new AbortController().signal), /boom/);
});

t.test('abortable rejects at once on abort, without waiting for the work', async (t) => {
  const abort = new AbortController();
  const never = new Promise<never>(() => {});
  const pending = abortable(never, abort.signal);
  abort.abort();
  await t.rejects(pending, /stopped/);
  await t.rejects(abortable(Promise.resolve(1), abort.signal), /stopped/, 'already aborted');
});
