/**
 * Dead letters read back (GET /connectors/{name}/dead-letters, conflux dlq list|show): a real
 * orders sink dead-letters orders of unknown customers (EnrichCustomer) and one whose total does
 * not match its lines (ValidateOrder); the route counts them by rule with their time range and
 * shows the newest decoded from Avro through the Schema Registry with their conflux.error.*
 * headers; the CLI prints the same.
 */
import t from 'tap';
import { createTopic } from '../fixtures/kafka.js';
import { customer, customersEnvelopeSchema, envelope, order, ordersEnvelopeSchema } from '../fixtures/shop.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';
import { buildApp } from '../../runtime/rest/app.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { dlq } from '../../cli/commands/dlq.js';
import type { DeadLetters } from '../../runtime/tasks/dead-letter-reader.js';
import type { WorkerClient } from '../../cli/http-client.js';

t.test('dead letters by rule, and the newest decoded with their reasons', async (t) => {
  const { schema } = await uniqueSchema(t);
  const orders = uniqueName('orders-cdc');
  const customers = uniqueName('customers-cdc');
  const dlqTopic = uniqueName('orders-dlq');
  await createTopic(orders, 2);
  await createTopic(customers, 1);
  await produceAvro(customers, customersEnvelopeSchema(), [{ key: 'c-1', value: envelope('c', 'customers', customer('c-1'), 100) }]);
  await produceAvro(orders, ordersEnvelopeSchema(), [
    { key: 'o1', value: envelope('c', 'orders', order('o1'), 1000) },
    { key: 'o2', value: envelope('c', 'orders', order('o2', { customer_id: 'c-unknown' }), 1000) },
    { key: 'o3', value: envelope('c', 'orders', order('o3', { customer_id: 'c-other' }), 1000) },
    { key: 'o4', value: envelope('c', 'orders', order('o4', { total: '1.00' }), 1000) },
  ]);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('orders-sink');
  await worker.createConnector(name, {
    'connector.class': 'postgres-sink',
    topics: orders,
    'connection.url': services().databaseUrl,
    'warehouse.schema': schema,
    'auto.migrate': 'true',
    transforms: 'parse,enrich,validate',
    'transforms.parse.type': 'ParseOrder',
    'transforms.enrich.type': 'EnrichCustomer',
    'transforms.enrich.enrich.topic': customers,
    'transforms.enrich.enrich.missing.policy': 'deadletter',
    'transforms.validate.type': 'ValidateOrder',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlqTopic,
  });
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'silent' }) });
  t.teardown(() => app.close());
  const get = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/connectors/${name}/dead-letters${query}` });
    return { status: res.statusCode, body: res.json() as DeadLetters & { message?: string } };
  };
  const all = await waitFor(
    'three dead letters',
    async () => {
      const r = await get('');
      return r.status === 200 && r.body.total >= 3 ? r.body : undefined;
    },
    120_000,
  );
  t.equal(all.topic, dlqTopic);
  t.same(
    all.groups.map((g) => [g.rule, g.stage, g.count]),
    [
      ['unknown-customer', 'transform:enrich', 2],
      ['total-matches-lines', 'transform:validate', 1],
    ],
    'counted by rule and stage, most frequent first',
  );
  t.ok(
    all.groups.every((g) => g.first <= g.last && !Number.isNaN(Date.parse(g.first))),
    'with their time range',
  );

  const shown = (await get('?rule=unknown-customer&limit=1')).body;
  t.equal(shown.records.length, 1, 'limit');
  const record = shown.records[0]!;
  t.equal(record.rule, 'unknown-customer');
  // o2 and o3 are on two partitions of the orders topic, so either may be dead-lettered last.
  const unknown = all.records.filter((r) => r.rule === 'unknown-customer');
  const newest = unknown.reduce((a, b) => (BigInt(b.offset) > BigInt(a.offset) ? b : a));
  t.equal(unknown.length, 2);
  t.equal(record.offset, newest.offset, 'the newest first');
  const customerOf = { o2: 'c-unknown', o3: 'c-other' } as Record<string, string>;
  t.match(
    record.value,
    { op: 'c', after: { _id: record.key, customer_id: customerOf[record.key as string] } },
    'the value decoded from Avro through the registry',
  );
  t.match(record.headers['conflux.error.message'], /^unknown-customer: /);
  t.equal(record.headers['conflux.error.topic'], orders);

  t.equal((await get('?limit=5000')).status, 400, 'limit is bounded');
  const withoutDlq = Object.fromEntries(Object.entries(worker.config(name)).filter(([key]) => !key.startsWith('errors.')));
  await worker.createConnector(`${name}-nodlq`, withoutDlq);
  const none = await app.inject({ method: 'GET', url: `/connectors/${name}-nodlq/dead-letters` });
  t.equal(none.statusCode, 404, 'a connector without a dead-letter topic');
  t.match(none.json().message, /has no dead-letter topic/);
  const unwritten = { ...worker.config(name), 'errors.deadletterqueue.topic.name': uniqueName('never-written-dlq') };
  await worker.createConnector(`${name}-fresh`, unwritten, 'STOPPED');
  const fresh = await app.inject({ method: 'GET', url: `/connectors/${name}-fresh/dead-letters` });
  t.equal(fresh.statusCode, 200, 'a dead-letter topic not created yet (nothing rejected) is empty, not an error');
  t.match(fresh.json(), { total: 0, groups: [], records: [] });

  // The CLI, through the same route.
  const client: WorkerClient = {
    request: async <T>(method: string, path: string) => {
      const res = await app.inject({ method: method as 'GET', url: path });
      return res.json() as T;
    },
  } as WorkerClient;
  const lines: string[] = [];
  t.equal(await dlq(client, 'list', { connector: name, limit: 20, json: false }, (l) => lines.push(l)), 0);
  t.match(lines.join('\n'), /unknown-customer\s+transform:enrich\s+2/);
  lines.length = 0;
  await dlq(client, 'show', { connector: name, rule: 'total-matches-lines', limit: 5, json: false }, (l) => lines.push(l));
  t.match(lines.join('\n'), /total-matches-lines \(transform:validate\)[\s\S]*key: "o4"[\s\S]*conflux\.error\.message: total-matches-lines: /);
});
