import t from 'tap';
import { CONSOLE_CSP } from '../../runtime/rest/console.js';
import { connectorSummaries } from '../../runtime/observability/connector-summary.js';
import { WorkerMetrics } from '../../runtime/observability/metrics.js';
import { restHarness } from '../helpers/rest.js';

const TOKEN = 'a-long-enough-test-token-0123456789';

t.test('the console files are public and strict; the API behind them still wants the token', async (t) => {
  const { app } = await restHarness(t, { authToken: TOKEN });
  const page = await app.inject({ url: '/ui/' });
  t.equal(page.statusCode, 200, '/ui/ without a token');
  t.match(page.headers['content-type'], /text\/html/);
  t.equal(page.headers['content-security-policy'], CONSOLE_CSP);
  t.match(CONSOLE_CSP, /script-src 'self'/, 'scripts from the worker only');
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/, 'nothing inline, no eval');
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.notMatch(page.body, /<script>|\son\w+="/, 'index.html has no inline script or handler');
  const script = await app.inject({ url: '/ui/app.js' });
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /javascript/);
  t.equal((await app.inject({ url: '/ui' })).statusCode, 301, '/ui redirects to /ui/');
  for (const url of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/..%2fpackage.json']) {
    const res = await app.inject({ url });
    t.not(res.statusCode, 200, `${url}: nothing outside console/`);
    t.notMatch(res.body, /"name": "conflux"/);
  }
  t.equal((await app.inject({ url: '/metrics/connectors' })).statusCode, 401, 'the numbers need the token');
  t.equal((await app.inject({ url: '/metrics/connectors', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
  t.equal((await app.inject({ method: 'POST', url: '/ui/app.js' })).statusCode, 401, 'only reads of the files are public');
});

t.test('GET /metrics/connectors sums each connector over its tasks', async (t) => {
  const metrics = new WorkerMetrics();
  const a0 = { connector: 'a', task: '0' };
  const a1 = { connector: 'a', task: '1' };
  metrics.recordsConsumed.inc(a0, 10);
  metrics.recordsConsumed.inc(a1, 5);
  metrics.recordsWritten.inc(a1, 7);
  metrics.deadLettered.inc({ connector: 'b', task: '0' }, 2);
  metrics.consumerLag.set({ ...a1, topic: 't', partition: '1' }, 4);
  metrics.consumerLag.set({ ...a0, topic: 't', partition: '0' }, 3);
  metrics.watermarkLag.set({ ...a0, topic: 't' }, 1.5);
  metrics.watermarkLag.set({ ...a1, topic: 't' }, 0.5);
  metrics.endToEndLatency.observe(a0, 0.02);
  metrics.endToEndLatency.observe(a1, 0.2);
  metrics.endToEndLatency.observe(a1, 100);
  const s = await connectorSummaries(metrics.registry);
  t.same(Object.keys(s).sort(), ['a', 'b']);
  t.match(s['a'], { sinkRecordsConsumed: 15, sinkRecordsWritten: 7, recordsDeadLettered: 0 });
  t.equal(s['b']!.recordsDeadLettered, 2);
  t.same(s['a']!.consumerLag, [
    { topic: 't', partition: 0, records: 3 },
    { topic: 't', partition: 1, records: 4 },
  ]);
  t.same(s['a']!.watermarkLagSeconds, { t: 1.5 }, 'the least caught-up task speaks for the topic');
  const h = s['a']!.endToEndLatency;
  t.equal(h.count, 3);
  t.ok(Math.abs(h.sum - 100.22) < 1e-9);
  t.equal(h.buckets.find((b) => b.le === 0.025)?.count, 1);
  t.equal(h.buckets.find((b) => b.le === 0.25)?.count, 2);
  t.equal(h.buckets.at(-1)?.count, 2, 'the observation above every bound is only in count');
  t.ok(
    h.buckets.every((b) => Number.isFinite(b.le)),
    'finite bounds only (JSON has no Infinity)',
  );
});
