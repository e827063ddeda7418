/**
 * The whole orders pipeline, end to end: the worker runs `conflux standalone` with the versioned
 * configs while the shop generator writes a deterministic workload (seeded customers and orders,
 * then live status changes, item edits, address changes, deletes, and a share of orders that break
 * a rule). Once caught up, the warehouse equals MongoDB exactly and the dead-letter topic holds
 * exactly the broken orders, each with its rule.
 */
import t from 'tap';
import { pipelineEnv, sinksOf } from '../helpers/pipeline-env.js';
import { checkDeadLetters, readDeadLetters, readShop, rejectionOf, waitReconciled } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload } from '../helpers/shop-workload.js';

t.setTimeout(5 * 60_000);

t.test('a generated workload reaches the warehouse exactly, broken orders the dead-letter topic', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'e2e' });
  await env.worker.start();

  const run = await runWorkload(env.db, { seed: 20261125, customers: 40, orders: 150, changes: 800, invalidRatio: 0.08 });
  for (const kind of ['order-seeded', 'order-created', 'status-changed', 'items-edited', 'address-changed', 'customer-created', 'order-deleted']) {
    t.ok((run.counts.get(kind) ?? 0) > 0, `the workload has ${kind} changes (${run.counts.get(kind) ?? 0})`);
  }
  t.comment(`workload: ${JSON.stringify(Object.fromEntries(run.counts))}`);

  const { shop, warehouse } = await waitReconciled({
    kafka: env.kafka,
    warehouse: env.warehouse,
    db: env.db,
    sinks: sinksOf(env.names),
    timeoutMs: 150_000,
    traceTopics: [env.names.ordersTopic, env.names.ordersDlq],
  });
  const invalid = [...shop.orders.values()].filter((o) => rejectionOf(o, shop.customers));
  t.ok(invalid.length > 0, `MongoDB holds orders that break a rule (${invalid.length})`);
  t.equal(warehouse.orders.size, shop.orders.size - invalid.length, 'the warehouse holds every valid order and no other');
  t.equal(warehouse.customers.size, shop.customers.size, 'dim_customers holds every customer');

  // The dead letters of the last changes may still be on their way when the rows already match.
  let check: ReturnType<typeof checkDeadLetters> | undefined;
  await waitFor(
    'every broken order in the dead-letter topic',
    async () => {
      check = checkDeadLetters(await readShop(env.db), await readDeadLetters(env.kafka, env.registry, env.names.ordersDlq));
      return check.problems.length === 0 ? check : undefined;
    },
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${check?.problems.join('\n') ?? ''}`, { cause: err });
  });
  t.same(check!.problems, [], 'the dead-letter topic holds exactly the broken order versions, each with its rule');
  for (const rule of ['missing-customer', 'quantity-positive', 'total-matches-lines', 'currency-iso4217'] as const) {
    t.ok((check!.rules.get(rule) ?? 0) > 0, `dead letters name ${rule} (${check!.rules.get(rule) ?? 0})`);
  }
  t.comment(`dead letters by rule: ${JSON.stringify(Object.fromEntries(check!.rules))}; updates of since deleted orders: ${check!.updatesOfDeleted}`);
  t.same(await readDeadLetters(env.kafka, env.registry, env.names.sourceDlq), [], 'the source dead-lettered nothing');
});
