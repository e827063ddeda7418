/**
 * An initial snapshot copies orders and customers side by side, with no order between them: an
 * order copied before its customer must wait for the customers topic's watermark, not be rejected.
 * 50,000 customers and 10,000 orders, each order's customer created just before it, copied from
 * empty with the shipped configs: every order lands enriched and nothing is dead-lettered.
 */
import { Faker, base, en } from '@faker-js/faker';
import t from 'tap';
import { customer, order } from '../../generator/shop-documents.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { readToEnd } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';

t.setTimeout(8 * 60_000);

const CUSTOMERS = 50_000;
const ORDERS = 10_000;
const BATCH = 1_000;

t.test('initial snapshot of 50k customers and 10k orders: 10k enriched rows, no dead letter', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'snapjoin' });
  const f = new Faker({ locale: [en, base] });
  f.seed(5);
  const now = new Date();
  for (let done = 0; done < CUSTOMERS; done += BATCH) {
    const customers = Array.from({ length: BATCH }, () => customer(f, now));
    await env.db.collection('customers').insertMany(customers);
    // The first 10,000 customers each get an order, written right after them.
    if (done < ORDERS) await env.db.collection('orders').insertMany(customers.map((c) => order(f, c._id, now)));
  }
  const started = Date.now();
  await env.worker.start();
  const rows = await waitFor(
    `${ORDERS} orders in the warehouse`,
    async () => {
      const { rows } = await env.warehouse.query<{ n: string; enriched: string }>('SELECT count(*) AS n, count(customer_name) AS enriched FROM fact_orders');
      return Number(rows[0]!.n) >= ORDERS ? rows[0]! : undefined;
    },
    6 * 60_000,
  );
  t.comment(`copied and written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(Number(rows.n), ORDERS, 'every order is in fact_orders');
  t.equal(Number(rows.enriched), ORDERS, 'every order carries its customer');
  for (const topic of [env.names.ordersDlq, env.names.customersDlq, env.names.sourceDlq]) {
    let letters = 0;
    await readToEnd(env.kafka, topic, () => {
      letters++;
    });
    t.equal(letters, 0, `${topic} is empty`);
  }
});
