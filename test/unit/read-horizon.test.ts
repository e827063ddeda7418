import t from 'tap';
import { ReadHorizon } from '../../runtime/lookup-tables/read-horizon.js';

t.test('the horizon moves to the start of the last fetch whose batches were applied', async (t) => {
  const h = new ReadHorizon(100);
  t.equal(h.currentAt, 100, 'the restore point until a fetch cycle completes');
  h.fetchStarted(1, 200);
  t.equal(h.currentAt, 100, 'a fetch in flight proves nothing yet');
  h.batchApplied(0, 0n);
  h.fetchStarted(1, 300);
  t.equal(h.currentAt, 200, 'the next fetch starts once the batches of the fetch started at 200 were applied');
});

t.test('a partition left behind its high watermark holds the horizon until it catches up', async (t) => {
  const h = new ReadHorizon(0);
  h.fetchStarted(1, 10);
  h.batchApplied(2, 50n);
  h.fetchStarted(1, 20);
  t.equal(h.currentAt, 0, 'partition 2 still has 50 records to read');
  h.batchApplied(2, 0n);
  h.fetchStarted(1, 30);
  t.equal(h.currentAt, 20);
});

t.test('with several brokers the slowest one decides; a rejoin starts the count over', async (t) => {
  const h = new ReadHorizon(0);
  h.fetchStarted(1, 10);
  h.fetchStarted(2, 15);
  h.fetchStarted(1, 20);
  t.equal(h.currentAt, 0, 'broker 1 completed a fetch, broker 2 has not: nothing is proven for its partitions');
  h.fetchStarted(1, 30);
  t.equal(h.currentAt, 0, 'broker 1 alone cannot move it');
  h.fetchStarted(2, 40);
  t.equal(h.currentAt, 15, 'broker 2 completed the fetch started at 15');
  h.rejoined();
  h.fetchStarted(1, 50);
  t.equal(h.currentAt, 15, 'after a rejoin nothing is proven until a fetch completes');
  h.fetchStarted(1, 60);
  t.equal(h.currentAt, 50);
  h.fetchStarted(1, 5); // a clock step back
  h.fetchStarted(1, 7);
  t.equal(h.currentAt, 60, 'never moves back');
});
