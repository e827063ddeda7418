import Type from 'typebox';
import { DataError, RetriableError, defineTransform, withRecord, type ConnectRecord, type LookupTable } from '../runtime/api/index.js';
import type { OrderChange } from '../connectors/postgres-sink/records.js';
import { customerFields } from './parse-customer.js';
import { envelopeDocument } from './support/documents.js';

/** The customer of a lookup-table entry (a customers CDC envelope), or undefined when deleted. */
function customerOf(entry: unknown): ReturnType<typeof customerFields> | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  if ((entry as { op?: unknown }).op === 'd') return undefined;
  const doc = envelopeDocument(entry, 'after');
  return doc ? customerFields(doc) : undefined;
}

/** Customers remembered as missing; the oldest is forgotten first (and waited for again if seen). */
const MAX_MISSING_TRACKED = 10_000;
/** Shortest pause before checking a miss again, about the lookup table's idle fetch interval. */
const MIN_RECHECK_MS = 250;

export const EnrichCustomer = defineTransform({
  name: 'EnrichCustomer',
  version: '1.0.0',
  description:
    'Adds customer_name, customer_email and customer_segment to each order upsert (from ParseOrder), looked up by customer_id in a ' +
    'lookup table of the customers CDC topic. Deletes pass unchanged.',
  config: Type.Object({
    'enrich.topic': Type.String({ description: 'Compacted topic of customer change envelopes, keyed by customer id.', default: 'customers-cdc', minLength: 1 }),
    'enrich.missing.policy': Type.Union([Type.Literal('wait'), Type.Literal('deadletter'), Type.Literal('null')], {
      description:
        'When the customer is not (yet) known: `wait` fails the record as retriable until enrich.missing.timeout.ms has passed, then as a data error ' +
        '(the runtime retries within errors.retry.timeout, so set that at least as high); the wait is once per customer: later orders of a ' +
        'customer already waited for are rejected at once while it is still unknown; `deadletter` rejects it at once as a data error; ' +
        '`null` passes the order on with null customer fields.',
      default: 'wait',
    }),
    'enrich.missing.timeout.ms': Type.Integer({
      description:
        'How long the wait policy waits for a customer to appear, measured on the lookup table: the customer must still be absent once the table ' +
        'has read everything written to its topic up to this long after the first miss, so a broker outage does not turn a late customer into a miss.',
      default: 30000,
      minimum: 0,
    }),
  }),
  async create(config, ctx) {
    const table: LookupTable = await ctx.tables.open(config['enrich.topic']);
    const policy = config['enrich.missing.policy'];
    const timeout = config['enrich.missing.timeout.ms'];
    const misses = ctx.metrics.counter('enrich_customer_misses_total', 'Orders whose customer was not in the lookup table when first seen.');
    // First miss per customer, cleared on a hit. Per customer, not per order: once a customer was
    // waited for, the next changes of its orders are rejected at once instead of each holding the
    // task for the whole timeout again.
    const missingSince = new Map<string, number>();
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const change = record.value as OrderChange;
        if (change?.kind !== 'order') throw new DataError('EnrichCustomer expects the output of ParseOrder');
        if (change.op !== 'upsert') return record;
        const customerId = change.order.customer_id;
        const customer = customerId === null ? undefined : customerOf(table.get(customerId));
        const waitKey = String(customerId);
        if (customer) {
          missingSince.delete(waitKey);
          return withRecord(record, {
            value: { ...change, order: { ...change.order, customer_name: customer.name, customer_email: customer.email, customer_segment: customer.segment } },
          });
        }
        const what = `customer ${JSON.stringify(customerId)} of order ${change.id} is not in ${table.topic}`;
        switch (policy) {
          case 'null':
            misses.inc();
            return record;
          case 'deadletter':
            misses.inc();
            throw new DataError(what);
          case 'wait': {
            let since = missingSince.get(waitKey);
            if (since === undefined) {
              misses.inc();
              since = Date.now();
              missingSince.set(waitKey, since);
              if (missingSince.size > MAX_MISSING_TRACKED) missingSince.delete(missingSince.keys().next().value!);
            }
            // The wait counts what the table has read, not the clock: while the topic cannot be
            // read (a broker restart) a customer written meanwhile is not missing, only unread.
            const waited = table.currentAt - since;
            if (waited >= timeout) throw new DataError(`${what} after waiting ${timeout} ms`);
            // Not retried later than the wait's end (the table's horizon trails the clock a little).
            throw new RetriableError(`${what} (yet)`, { retryAfterMs: Math.max(MIN_RECHECK_MS, timeout - waited) });
          }
        }
      },
    };
  },
});
