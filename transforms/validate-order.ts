import Type from 'typebox';
import { ConfigError, DataError, defineTransform, type ConnectRecord } from '../runtime/api/index.js';
import type { OrderChange, WarehouseOrder, WarehouseOrderItem } from '../connectors/postgres-sink/records.js';
import { formatDecimal, parseDecimal, rescale } from './support/decimal.js';

/** The rules, by the name that appears in the error (and so in the dead-letter headers). */
export const RULES = [
  'required-fields',
  'unique-lines',
  'quantity-positive',
  'unit-price-non-negative',
  'total-matches-lines',
  'currency-iso4217',
  'known-status',
  'sane-timestamps',
] as const;
export type Rule = (typeof RULES)[number];

/** A broken validation rule; the message starts with the rule's name. */
export class OrderValidationError extends DataError {
  constructor(
    readonly rule: Rule,
    detail: string,
  ) {
    super(`${rule}: ${detail}`);
  }
}

// ICU's list of ISO-4217 currency codes in use (Node's full-icu), so no list to maintain here.
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

interface Limits {
  statuses: ReadonlySet<string>;
  minTime: number;
  maxFutureMs: number;
}

function check(order: WarehouseOrder, items: readonly WarehouseOrderItem[], limits: Limits, now: number): void {
  const missing = (['order_id', 'customer_id', 'status', 'currency', 'total', 'created_at', 'updated_at'] as const).filter(
    (f) => order[f] === null || order[f] === undefined || order[f] === '',
  );
  if (items.length === 0) missing.push('items' as never);
  items.forEach((it, i) => {
    for (const f of ['line', 'sku', 'name', 'quantity', 'unit_price'] as const) {
      if (it[f] === null || it[f] === undefined) missing.push(`items[${i}].${f}` as never);
    }
  });
  if (missing.length > 0) throw new OrderValidationError('required-fields', `missing ${missing.join(', ')}`);

  const lines = new Set<number>();
  for (const it of items) {
    if (!Number.isInteger(it.line) || lines.has(it.line)) throw new OrderValidationError('unique-lines', `line ${it.line} is not a unique integer`);
    lines.add(it.line);
  }
  for (const it of items) {
    if (!Number.isInteger(it.quantity) || it.quantity <= 0) throw new OrderValidationError('quantity-positive', `line ${it.line} has quantity ${it.quantity}`);
  }
  const prices = items.map((it) => {
    const price = parseDecimal(it.unit_price);
    if (!price || price.units < 0n)
      throw new OrderValidationError('unit-price-non-negative', `line ${it.line} has unit price ${JSON.stringify(it.unit_price)}`);
    return price;
  });
  const total = parseDecimal(order.total);
  if (!total) throw new OrderValidationError('total-matches-lines', `total ${JSON.stringify(order.total)} is not a decimal number`);
  const scale = Math.max(2, total.scale, ...prices.map((p) => p.scale));
  const sum = prices.reduce((acc, p, i) => acc + rescale(p, scale) * BigInt(items[i]!.quantity), 0n);
  const diff = rescale(total, scale) - sum;
  const cent = 10n ** BigInt(scale - 2);
  if (diff > cent || diff < -cent) {
    throw new OrderValidationError('total-matches-lines', `total ${order.total} differs from the sum of the lines ${formatDecimal(sum, scale)}`);
  }
  if (!CURRENCIES.has(order.currency)) throw new OrderValidationError('currency-iso4217', `${JSON.stringify(order.currency)} is not an ISO-4217 currency code`);
  if (!limits.statuses.has(order.status)) throw new OrderValidationError('known-status', `unknown status ${JSON.stringify(order.status)}`);
  const { created_at: created, updated_at: updated } = order;
  if (!Number.isFinite(created) || !Number.isFinite(updated))
    throw new OrderValidationError('sane-timestamps', 'created_at and updated_at must be epoch milliseconds');
  if (created < limits.minTime)
    throw new OrderValidationError('sane-timestamps', `created_at ${new Date(created).toISOString()} is before ${new Date(limits.minTime).toISOString()}`);
  if (updated < created) throw new OrderValidationError('sane-timestamps', 'updated_at is before created_at');
  if (updated > now + limits.maxFutureMs) throw new OrderValidationError('sane-timestamps', `updated_at ${new Date(updated).toISOString()} is in the future`);
}

export const ValidateOrder = defineTransform({
  name: 'ValidateOrder',
  version: '1.0.0',
  description:
    'Checks each order upsert (from ParseOrder) against the rules ' +
    RULES.join(', ') +
    '. A broken rule is a data error whose message starts with the rule, so with errors.tolerance=all the order goes to the dead-letter topic ' +
    'with the rule in conflux.error.message. Deletes pass unchanged.',
  config: Type.Object({
    'validate.statuses': Type.String({ description: 'Comma-separated known order statuses.', default: 'pending,paid,shipped,delivered,cancelled' }),
    'validate.min.time': Type.String({ description: 'Earliest plausible created_at (ISO-8601).', default: '2000-01-01T00:00:00Z' }),
    'validate.max.future.ms': Type.Integer({ description: 'How far updated_at may lie in the future (clock skew).', default: 300000, minimum: 0 }),
  }),
  create(config) {
    const minTime = Date.parse(config['validate.min.time']);
    if (Number.isNaN(minTime)) throw new ConfigError([{ key: 'validate.min.time', message: 'is not an ISO-8601 time' }]);
    const statuses = new Set(
      config['validate.statuses']
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    if (statuses.size === 0) throw new ConfigError([{ key: 'validate.statuses', message: 'names no status' }]);
    const limits: Limits = { statuses, minTime, maxFutureMs: config['validate.max.future.ms'] };
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const change = record.value as OrderChange;
        if (change?.kind !== 'order') throw new DataError('ValidateOrder expects the output of ParseOrder');
        if (change.op === 'upsert') check(change.order, change.items, limits, Date.now());
        return record;
      },
    };
  },
});
