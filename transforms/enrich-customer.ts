import Type from 'typebox';
import {
  LiteralOnly,
  DataError,
  NotYetError,
  compareEventTime,
  defineTransform,
  formatEventTime,
  readTimeOf,
  withRecord,
  type ConnectRecord,
  type EventTime,
  type LookupTable,
} from '../runtime/api/index.js';
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

/**
 * Whether the table's entry is the customer's creation, dated after `at`: a customer whose
 * latest change is its insert (op c) has existed only since then. A later update (op u) or a
 * snapshot copy (op r) says nothing about when it was created, so it counts as existing.
 */
function createdAfter(entry: unknown, created: EventTime | undefined, at: EventTime): boolean {
  return (entry as { op?: unknown } | undefined)?.op === 'c' && created !== undefined && compareEventTime(created, at) > 0;
}

/** The rule in a rejected order's message (conflux.error.message starts with it). */
export const UNKNOWN_CUSTOMER = 'unknown-customer';

/** Customers remembered as missing; the oldest is forgotten first (and waited for again if seen). */
const MAX_MISSING_TRACKED = 10_000;
/** Shortest pause before checking a miss again, about the lookup table's idle fetch interval. */
const MIN_RECHECK_MS = 250;

export const EnrichCustomer = defineTransform({
  name: 'EnrichCustomer',
  version: '2.0.0',
  description:
    'Adds customer_name, customer_email and customer_segment to each order upsert (from ParseOrder), looked up by customer_id in a ' +
    'lookup table of the customers CDC topic. Deletes pass unchanged. A missing customer is decided from event time: once the table holds ' +
    "every customer change up to the order's own time (its event time, or for a copied order its read time; the source's watermarks), the customer did not exist then and the order is rejected " +
    '(rule unknown-customer); until then the order is parked while other orders go on.',
  config: Type.Object({
    // Literal-only: the value names a topic the worker reads and labels metrics with.
    'enrich.topic': LiteralOnly(
      Type.String({ description: 'Compacted topic of customer change envelopes, keyed by customer id.', default: 'customers-cdc', minLength: 1 }),
    ),
    'enrich.missing.policy': Type.Union([Type.Literal('wait'), Type.Literal('deadletter'), Type.Literal('null')], {
      description:
        "When the customer is not in the table: `wait` rejects the order (unknown-customer) as soon as the table's event time has passed the " +
        "order's, and parks it until then (other orders go on; see parking.max.records); `deadletter` rejects it at once; `null` passes the " +
        'order on with null customer fields.',
      default: 'wait',
    }),
    'enrich.missing.timeout.ms': Type.Integer({
      description:
        'The bound of the wait for a customers stream that has stopped moving (its source down): an order still undecided is rejected once ' +
        'the table has read nothing new of its topic (no record, no watermark) for this long of read time, so a broker outage, which stops ' +
        'the reading too, does not count. For a customers topic without watermarks it is also how long, in read time, a missing customer ' +
        'is waited for.',
      default: 30000,
      minimum: 0,
    }),
  }),
  async create(config, ctx) {
    const table: LookupTable = await ctx.tables.open(config['enrich.topic']);
    const policy = config['enrich.missing.policy'];
    const timeout = config['enrich.missing.timeout.ms'];
    const hits = ctx.metrics.counter('enrich_customer_hits_total', 'Orders enriched with their customer.');
    const misses = ctx.metrics.counter('enrich_customer_misses_total', 'Orders whose customer was not in the lookup table when first looked up.');
    const byWatermark = ctx.metrics.counter(
      'enrich_customer_rejected_watermark_total',
      "Orders rejected as unknown-customer because the table had every customer change up to the order's time.",
    );
    const byTimeout = ctx.metrics.counter(
      'enrich_customer_rejected_timeout_total',
      'Orders rejected as unknown-customer because the customers stream stood still for enrich.missing.timeout.ms.',
    );
    // For topics without watermarks only: the first miss per customer, measured on the read horizon.
    const missingSince = new Map<string, number>();
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const change = record.value as OrderChange;
        if (change?.kind !== 'order') throw new DataError('EnrichCustomer expects the output of ParseOrder');
        if (change.op !== 'upsert') return record;
        const customerId = change.order.customer_id;
        const entry = customerId === null ? undefined : table.get(customerId);
        const customer = customerOf(entry);
        // A copied order (snapshot) is taken as of its read time: its customer existed by then,
        // even if created after the copy's event time (the snapshot's start).
        const at = readTimeOf(record);
        if (customer && at && createdAfter(entry, table.timeOf(customerId), at)) {
          // The table holds the customer, but as created after the order: unknown at the order's time.
          byWatermark.inc();
          throw new DataError(
            `${UNKNOWN_CUSTOMER}: customer ${JSON.stringify(customerId)} of order ${change.id} was created after the order (at ${new Date(table.timeOf(customerId)!.ms).toISOString()}, the order at ${new Date(at.ms).toISOString()})`,
          );
        }
        if (customer) {
          hits.inc();
          missingSince.delete(String(customerId));
          return withRecord(record, {
            value: { ...change, order: { ...change.order, customer_name: customer.name, customer_email: customer.email, customer_segment: customer.segment } },
          });
        }
        const what = `customer ${JSON.stringify(customerId)} of order ${change.id}`;
        if (policy === 'null') {
          misses.inc();
          return record;
        }
        if (policy === 'deadletter') {
          misses.inc();
          throw new DataError(`${UNKNOWN_CUSTOMER}: ${what} is not in ${table.topic}`);
        }
        const tableAt = table.eventTime;
        if (at === undefined || tableAt === undefined) return waitByReadTime(what, String(customerId), at);
        if (compareEventTime(tableAt, at) >= 0) {
          byWatermark.inc();
          throw new DataError(
            `${UNKNOWN_CUSTOMER}: ${what} did not exist at the order's time (${new Date(at.ms).toISOString()}): ${table.topic} holds every customer change up to ${new Date(tableAt.ms).toISOString()}`,
          );
        }
        const stoodStill = table.currentAt - table.progressAt;
        if (stoodStill >= timeout) {
          byTimeout.inc();
          throw new DataError(
            `${UNKNOWN_CUSTOMER}: ${what} is not in ${table.topic}, whose source has written nothing for ${stoodStill} ms of read time (enrich.missing.timeout.ms ${timeout}); is it running?`,
          );
        }
        throw new NotYetError(`${what} is not in ${table.topic} yet: the table is at ${formatEventTime(tableAt)}, the order at ${formatEventTime(at)}`, {
          wake: table.whenEventTime(at),
          retryAfterMs: Math.max(MIN_RECHECK_MS, timeout - stoodStill),
        });
      },
    };

    /**
     * A customers topic without watermarks (a source that publishes none): the wait counts what the
     * table has read, not the clock, once per customer, as before event time existed here.
     */
    function waitByReadTime(what: string, waitKey: string, at: EventTime | undefined): never {
      let since = missingSince.get(waitKey);
      if (since === undefined) {
        misses.inc();
        since = table.currentAt;
        missingSince.set(waitKey, since);
        if (missingSince.size > MAX_MISSING_TRACKED) missingSince.delete(missingSince.keys().next().value!);
      }
      const waited = table.currentAt - since;
      if (waited >= timeout) {
        byTimeout.inc();
        throw new DataError(`${UNKNOWN_CUSTOMER}: ${what} is not in ${table.topic} after waiting ${timeout} ms of read time (the topic has no watermarks)`);
      }
      // The table may get its event time meanwhile (its first watermarks): the order is decided then.
      throw new NotYetError(`${what} is not in ${table.topic} (yet)`, {
        retryAfterMs: Math.max(MIN_RECHECK_MS, timeout - waited),
        ...(at ? { wake: table.whenEventTime(at) } : {}),
      });
    }
  },
});
