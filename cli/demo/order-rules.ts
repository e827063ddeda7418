import { avroValue, keyOf } from '../../connectors/mongodb-source/bson.js';
import { OrderValidationError, ValidateOrder } from '../../transforms/validate-order.js';
import { parseOrder } from '../../transforms/parse-order.js';
import type { ConnectRecord, TransformContext } from '../../runtime/api/index.js';
import type { OrderFacts } from './reconcile.js';

import { UNKNOWN_CUSTOMER } from '../../transforms/enrich-customer.js';

/** The rule of an order whose customer is unknown (EnrichCustomer dead-letters it; no ValidateOrder rule). */
export { UNKNOWN_CUSTOMER };

export type Verdict = { readonly valid: true; readonly facts: OrderFacts } | { readonly valid: false; readonly rule: string };

/**
 * Judges a MongoDB order document the way the pipeline judges its latest change: the source's BSON
 * mapping, ParseOrder, then EnrichCustomer's lookup (here: does the customer exist in MongoDB) and
 * ValidateOrder's rules, with the shipped config's defaults. The same code decides, so the
 * reconciliation does not keep a second copy of the rules that could drift.
 */
export class OrderRules {
  private readonly validate = ValidateOrder.create(
    Object.fromEntries(
      Object.entries((ValidateOrder.config as unknown as { properties: Record<string, unknown> }).properties).map(([key, schema]) => [
        key,
        (schema as { default?: unknown }).default,
      ]),
    ) as never,
    // ValidateOrder reads nothing from its context.
    {} as TransformContext,
  ) as { apply(record: ConnectRecord): ConnectRecord };

  constructor(private readonly customerExists: (id: string) => boolean) {}

  judge(doc: Record<string, unknown>): Verdict {
    const after = avroValue(doc) as Record<string, unknown>;
    const record: ConnectRecord = {
      topic: 'orders',
      key: keyOf(doc._id),
      value: {
        op: 'r',
        ts_ms: 0,
        source: { db: '', collection: 'orders', cluster_time_ms: 0, snapshot: true, resume_token: '' },
        before: null,
        after,
        update_description: null,
      },
      headers: {},
      timestamp: 0,
    };
    const change = parseOrder(record);
    if (change.op !== 'upsert') throw new Error('an order document parsed as a delete');
    if (!this.customerExists(change.order.customer_id)) return { valid: false, rule: UNKNOWN_CUSTOMER };
    try {
      this.validate.apply({ ...record, value: change });
    } catch (err) {
      if (err instanceof OrderValidationError) return { valid: false, rule: err.rule };
      throw err;
    }
    return { valid: true, facts: { status: change.order.status, total: change.order.total } };
  }
}

/** The rule of a dead-lettered order, from its `conflux.error.*` headers. */
export function ruleOf(stage: string, message: string): string {
  if (stage.startsWith('transform:') && /^[a-z0-9-]+: /.test(message)) return message.slice(0, message.indexOf(':'));
  if (/^customer .* is not in /.test(message)) return UNKNOWN_CUSTOMER;
  return stage || 'unknown';
}
