/**
 * Schema drift of a typed collection (value.schema.orders): a field the schema does not declare is
 * counted per collection and field and logged (schema.drift=warn, the default) or fails the task
 * (fail); a declared field whose type changed is a record error naming field, expected and found
 * type.
 */
import t from 'tap';
import { header, readTopic } from '../fixtures/kafka.js';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { waitFor } from '../helpers/services.js';

const T0 = new Date(Date.UTC(2026, 0, 15, 10, 0, 0));
const good = (id: string) => ({
  _id: id,
  customer_id: 'c-1',
  status: 'paid',
  currency: 'EUR',
  items: [{ line: 1, sku: 'SKU-1', name: 'Mug', quantity: 1, unit_price: '5.00' }],
  total: '5.00',
  created_at: T0,
  updated_at: T0,
});

t.test('warn: undeclared fields are counted per field and left out; a changed type is a dead letter naming it', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const dlq = `${db.databaseName}-dlq`;
  const capture = await startCapture(t, worker, db, ['orders'], {
    'startup.mode': 'stream',
    'value.schema.orders': 'config/schemas/orders.avsc',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
  });
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  const orders = db.collection<{ _id: string; [k: string]: unknown }>('orders');
  await orders.insertOne({ ...good('o-1'), coupon: 'SPRING' });
  await orders.insertOne({ ...good('o-2'), coupon: 'SUMMER', items: [{ ...good('x').items[0]!, discount: 1 }] });
  await orders.insertOne({ ...good('o-3'), status: 42 });
  await orders.insertOne(good('o-4'));
  const records = await waitForRecords(worker, capture, 'orders', 3);
  t.same(
    records.map((r) => r.key),
    ['o-1', 'o-2', 'o-4'],
    'drifting documents are delivered, the one with a changed type is not',
  );
  t.notOk('coupon' in ((records[0]!.value as { after: object }).after ?? {}), 'the undeclared field is left out of the typed record');

  const metrics = await worker.metrics.text();
  const drift = (field: string) =>
    Number(
      new RegExp(
        `conflux_plugin_schema_drift_fields_total\\{connector="${capture.source}",task="0",collection="orders",field="${field.replace('.', '\\.')}"\\} (\\d+)`,
      ).exec(metrics)?.[1] ?? 0,
    );
  t.equal(drift('coupon'), 2, 'coupon counted on both documents');
  t.equal(drift('items.discount'), 1, 'a nested field is named by its path');

  const [dead] = await readTopic(t, dlq, 1);
  t.match(header(dead!.headers, 'conflux.error.message'), /after\.status: expected string, found an integer number/, 'names field, expected and found type');
  t.notMatch(header(dead!.headers, 'conflux.error.message'), /42/, 'but not the value, which may be personal data');
  t.equal(worker.status(capture.source).tasks[0]!.state, 'RUNNING');
});

t.test('fail: an undeclared field fails the task, naming the document and the field', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const capture = await startCapture(t, worker, db, ['orders'], {
    'startup.mode': 'stream',
    'value.schema.orders': 'config/schemas/orders.avsc',
    'schema.drift': 'fail',
    'errors.tolerance': 'all',
  });
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  await db.collection<{ _id: string; [k: string]: unknown }>('orders').insertOne({ ...good('o-9'), gift_note: 'Happy birthday' });
  const task = await waitFor('the task to fail', () => {
    const task = worker.status(capture.source).tasks[0];
    return task?.state === 'FAILED' ? task : undefined;
  });
  const trace = task.trace ?? '';
  t.match(trace, /_id o-9\) has the field gift_note, which its schema \(value\.schema\.orders\) does not declare, and schema\.drift=fail/);
  t.notMatch(trace, /Happy birthday/, 'the value is not in the trace');
});
