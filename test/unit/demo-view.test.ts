import t from 'tap';
import { fileURLToPath } from 'node:url';
import { pipelineLayout } from '../../cli/demo/layout.js';
import { inNamespace } from '../../cli/demo/namespace.js';
import { parseDemoArgs, UsageError } from '../../cli/demo/options.js';
import type { ProgressSnapshot } from '../../cli/demo/progress.js';
import { frame, PlainView, TtyView } from '../../cli/demo/render.js';
import { readConnectorDir } from '../../cli/connector-files.js';

function snapshot(elapsedMs: number, overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    elapsedMs,
    mongo: { orders: 1200, customers: 230, changesWritten: 4321, ordersCreated: 200 },
    topics: { 'orders-cdc': 5000, 'customers-cdc': 300 },
    warehouse: { orders: 1180, items: 3500, customers: 229 },
    deadLettered: 7,
    lag: { 'warehouse-orders': 12, 'warehouse-customers': 0 },
    parked: { 'warehouse-orders': 3 },
    throughput: { mongo: 50, warehouse: 48.5 },
    latency: { p50: 240.4, p99: 1830, samples: 400 },
    ...overrides,
  };
}

const ESC = '\x1b';
const moveUp = /\u001b\[\d+A/; // eslint-disable-line no-control-regex

class Sink {
  chunks: string[] = [];
  write(text: string) {
    this.chunks.push(text);
  }
}

t.test('the frame shows every figure of the pipeline', async (t) => {
  const text = frame(snapshot(83_000), 'writing').join('\n');
  t.match(text, /conflux demo {2}01:23 {2}writing/);
  t.match(text, /orders 1,200 {2}customers 230/);
  t.match(text, /orders-cdc 5,000 {2}customers-cdc 300/);
  t.match(text, /fact_orders 1,180 {2}fact_order_items 3,500 {2}dim_customers 229/);
  t.match(text, /dead-lettered\s+7/);
  t.match(text, /warehouse-orders 12 \(3 parked\) {2}warehouse-customers 0\n/, 'parked records next to the lag, only where there are some');
  t.match(text, /MongoDB 50\.0\/s {2}into the warehouse 48\.5\/s/);
  t.match(text, /p50 240 ms {2}p99 1830 ms/);
  t.match(frame(snapshot(0, { latency: undefined }), 'x').join('\n'), /p50 - {2}p99 -/, 'no latency before the first orders arrive');
});

t.test('on a terminal the view is redrawn in place', async (t) => {
  const out = new Sink();
  const view = new TtyView(out);
  view.show(snapshot(1000), 'writing');
  view.show(snapshot(2000), 'writing');
  const height = frame(snapshot(0), 'x').length;
  t.notMatch(out.chunks[0]!, moveUp, 'the first frame moves nothing');
  t.ok(out.chunks[1]!.startsWith(`\x1b[${height}A\x1b[J`), 'the next frame moves up over the previous one and clears it');
  t.equal(out.chunks[1]!.split('\n').length - 1, height, 'one frame high, so it never scrolls');
  view.print('a message');
  view.show(snapshot(3000), 'writing');
  t.notMatch(out.chunks.at(-1)!, moveUp, 'a printed message is not drawn over');
});

t.test('on a narrow terminal the lines are cut, so that none wraps and the redraw stays in place', async (t) => {
  const out = Object.assign(new Sink(), { columns: 40 });
  new TtyView(out).show(snapshot(1000), 'writing');
  const lines = out.chunks[0]!.replace(`${ESC}[J`, '').split('\n').slice(0, -1);
  t.equal(lines.length, frame(snapshot(0), 'x').length);
  t.ok(
    lines.every((l) => l.length <= 39),
    'every line fits',
  );
});

t.test('without a terminal the view prints plain lines at an interval', async (t) => {
  const out = new Sink();
  const view = new PlainView(out, 5000);
  for (let ms = 0; ms <= 12_000; ms += 1000) view.show(snapshot(ms), 'writing');
  view.show(snapshot(12_500), 'caught up');
  t.equal(out.chunks.length, 4, 'at 0, 5 and 10 s, and when the status changed');
  for (const chunk of out.chunks) {
    t.notOk(chunk.includes(ESC), 'no terminal control sequences');
    t.equal(chunk.split('\n').length, 2, 'one line each');
  }
  t.match(
    out.chunks[1]!,
    /^\[00:05\] writing: mongo orders=1200 customers=230 changes=4321 \| kafka orders-cdc=5000 customers-cdc=300 \| warehouse orders=1180 items=3500 customers=229 \| dlq=7 lag=12 parked=3 \| 50\.0\/s in, 48\.5\/s out \| p50 240 ms {2}p99 1830 ms\n$/,
  );
  t.match(out.chunks[3]!, /^\[00:12\] caught up:/);
});

t.test('options: defaults, limits and clear errors', async (t) => {
  const o = parseDemoArgs([]);
  t.match(o, {
    orders: undefined,
    rate: 50,
    seedCustomers: 200,
    seedOrders: 1000,
    invalidRatio: 0.02,
    timeoutS: 300,
    reset: false,
    workerFile: 'config/worker.json',
    connectorsDir: 'config/connectors',
  });
  t.equal(parseDemoArgs(['--orders', '500', '--seed', '7']).orders, 500);
  t.equal(parseDemoArgs(['--seed', '7']).seed, 7);
  t.throws(() => parseDemoArgs(['--orders', '0']), new UsageError("--orders must be a number between 1 and 9007199254740991, got '0'"));
  t.throws(() => parseDemoArgs(['--invalid-ratio', '2']), /--invalid-ratio must be a number between 0 and 1, got '2'/);
  t.throws(() => parseDemoArgs(['--namespace', 'Bad-Name']), /--namespace must match/);
  t.throws(() => parseDemoArgs(['extra']), /no positional arguments/);
});

t.test('the shipped connector files: their layout, and the same pipeline under a namespace', async (t) => {
  const files = await readConnectorDir(fileURLToPath(new URL('../../config/connectors', import.meta.url)));
  t.same(pipelineLayout(files), {
    db: 'shop',
    schema: 'public',
    ordersDlq: 'orders-cdc-dlq',
    topics: {
      data: ['orders-cdc', 'customers-cdc'],
      deadLetter: ['shop-source-dlq', 'customers-cdc-dlq', 'orders-cdc-dlq'],
      sinks: { 'warehouse-customers': ['customers-cdc'], 'warehouse-orders': ['orders-cdc'] },
    },
  });
  const renamed = files.map((f) => inNamespace(f, 'ci7'));
  t.same(pipelineLayout(renamed), {
    db: 'shop_ci7',
    schema: 'ci7',
    ordersDlq: 'ci7.orders-cdc-dlq',
    topics: {
      data: ['ci7.orders-cdc', 'ci7.customers-cdc'],
      deadLetter: ['ci7.shop-source-dlq', 'ci7.customers-cdc-dlq', 'ci7.orders-cdc-dlq'],
      sinks: { 'warehouse-customers-ci7': ['ci7.customers-cdc'], 'warehouse-orders-ci7': ['ci7.orders-cdc'] },
    },
  });
  const orders = renamed.find((f) => f.name === 'warehouse-orders-ci7')!;
  t.equal(orders.config['transforms.enrich.enrich.topic'], 'ci7.customers-cdc', 'the lookup table follows the renamed topic');
  t.equal(renamed.find((f) => f.name === 'orders-source-ci7')!.config['topic.map'], 'orders:ci7.orders-cdc,customers:ci7.customers-cdc');
  t.same(inNamespace(files[0]!, undefined), files[0], 'no namespace: the file as it is');
});
