import t from 'tap';
import { RestartBackoff, type RestartPolicy } from '../../runtime/worker/restart-policy.js';

const policy: RestartPolicy = { enabled: true, initialDelayMs: 100, maxDelayMs: 350, maxAttempts: 3, healthyMs: 1000 };

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

t.test('exponential backoff up to the maximum delay, then gives up after maxAttempts', async (t) => {
  const c = clock();
  const b = new RestartBackoff(policy, c.now);
  t.same([b.failed(), b.failed(), b.failed(), b.failed()], [100, 200, 350, undefined]);
  t.equal(b.attempt, 3);
});

t.test('a run that lasted healthyMs before failing starts the count again', async (t) => {
  const c = clock();
  const b = new RestartBackoff(policy, c.now);
  for (let run = 0; run < 10; run++) {
    b.started();
    c.advance(1000);
    t.equal(b.failed(), 100, `failure after a healthy run ${run}`);
  }
  b.started();
  c.advance(999);
  t.equal(b.failed(), 200, 'a shorter run still counts as a consecutive failure');
});

t.test('a manual restart resets the attempts; a disabled policy never restarts', async (t) => {
  const c = clock();
  const b = new RestartBackoff(policy, c.now);
  b.failed();
  b.failed();
  b.failed();
  t.equal(b.failed(), undefined);
  b.reset();
  t.equal(b.failed(), 100);
  t.equal(new RestartBackoff({ ...policy, enabled: false }, c.now).failed(), undefined);
  t.equal(new RestartBackoff(undefined, c.now).failed(), undefined);
});
