import t from 'tap';
import { abortable, connectUnlessStopped, untilAborted } from '../../runtime/support/abortable.js';

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

t.test('a connect abandoned by a stop is disconnected once it completes', async (t) => {
  const abort = new AbortController();
  let finishConnect!: () => void;
  let disconnected = false;
  const client = {
    connect: () => new Promise<void>((resolve) => (finishConnect = resolve)),
    disconnect: async () => {
      disconnected = true;
    },
  };
  const pending = connectUnlessStopped(client, abort.signal);
  abort.abort();
  await t.rejects(pending, /stopped/);
  t.equal(disconnected, false, 'not before the connect completes');
  finishConnect();
  await new Promise((r) => setImmediate(r));
  t.equal(disconnected, true, 'the late connection is closed');
});

t.test('untilAborted resolves for a signal that already aborted', async (t) => {
  const abort = new AbortController();
  abort.abort();
  await untilAborted(abort.signal);
  t.pass('did not hang');
});
