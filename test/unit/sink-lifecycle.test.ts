import t from 'tap';
import { SinkLifecycle } from '../../runtime/sink/lifecycle.js';

t.test('a sink runner moves starting -> consuming -> stopping -> stopped, and the states allow what they say', async (t) => {
  const l = new SinkLifecycle();
  t.equal(l.phase, 'starting');
  t.notOk(l.consumerRunning, 'kafkajs refuses pause() before run()');
  t.notOk(l.active, 'nothing is staged before the consumer runs');
  t.ok(l.to('consuming'));
  t.ok(l.active);
  l.rebalancing();
  t.notOk(l.active, 'a rebalance stops staging and flushing');
  t.notOk(l.mayFlush);
  l.synced();
  t.ok(l.active);
  t.ok(l.to('stopping'));
  t.ok(l.ending);
  t.notOk(l.active, 'a stopping runner stages nothing more');
  t.ok(l.mayFlush, "a stop's final flush is allowed");
  t.notOk(l.to('consuming'), 'a stopping runner never consumes again');
  t.ok(l.to('stopped'));
  t.equal(l.phase, 'stopped');
});

t.test('a failure forbids every later flush and is final', async (t) => {
  const l = new SinkLifecycle();
  l.to('consuming');
  t.ok(l.to('failed'));
  t.ok(l.failed);
  t.notOk(l.mayFlush, 'nothing is flushed after a failure');
  t.notOk(l.to('stopping'), 'the finally block of a failed loop does not turn it into a graceful stop');
  t.notOk(l.to('consuming'));
  t.ok(l.to('stopped'));
  t.notOk(l.to('failed'), 'a failure reported after the loop ended changes nothing');
  t.equal(l.phase, 'stopped');
});

t.test('a stop may still fail (its final flush), and a failure while starting skips consuming', async (t) => {
  const stopping = new SinkLifecycle();
  stopping.to('stopping');
  t.ok(stopping.to('failed'));
  const starting = new SinkLifecycle();
  t.ok(starting.to('failed'));
  t.notOk(starting.to('consuming'), 'a consumer that crashed while starting is never marked running');
});
