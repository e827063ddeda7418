import type { CustomerChange, OrderChange } from './records.js';

/** PostgreSQL's integer (int4). */
const INT4 = [-2147483648, 2147483647] as const;
/**
 * Epoch milliseconds that to_timestamp() turns into a timestamptz: PostgreSQL's range is 4713 BC
 * to 294276 AD.
 */
const TIME_MS = [-210866803200000, 9224318015999000] as const;
/** A decimal string longer than this is refused before PostgreSQL spends time on it. */
const MAX_DECIMAL_CHARS = 1000;

type Kind = 'text' | 'int' | 'time' | 'decimal';

function problemOf(value: unknown, kind: Kind): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (kind) {
    case 'text':
      return typeof value === 'string' && value.includes('\u0000') ? 'contains a NUL character (U+0000), which PostgreSQL text cannot hold' : undefined;
    case 'int':
      return typeof value === 'number' && (value < INT4[0] || value > INT4[1]) ? `${value} is outside PostgreSQL's integer range` : undefined;
    case 'time':
      return typeof value === 'number' && (value < TIME_MS[0] || value > TIME_MS[1]) ? `${value} ms is outside PostgreSQL's timestamp range` : undefined;
    case 'decimal':
      return typeof value === 'string' && value.length > MAX_DECIMAL_CHARS ? `a decimal of ${value.length} characters` : undefined;
  }
}

// Called for every row of every flush: it allocates nothing unless a value is refused.
function check(table: string, column: string, value: unknown, kind: Kind): string | undefined {
  const why = problemOf(value, kind);
  return why === undefined ? undefined : `column ${table}.${column}: ${why}`;
}

/**
 * Why PostgreSQL would refuse a row of this change, naming the column, or undefined. Checked before
 * the COPY, so that one bad value is a record error (a dead letter naming the column) rather than a
 * failed batch; values the checks do not foresee are still isolated by the writer.
 */
export function columnProblem(change: OrderChange | CustomerChange, tables: { orders: string; items: string; customers: string }): string | undefined {
  if (change.op !== 'upsert') return undefined;
  if (change.kind === 'customer') {
    const t = tables.customers;
    const u = change.customer;
    return (
      check(t, 'customer_id', change.id, 'text') ??
      check(t, 'source_ts_ms', change.source_ts_ms, 'time') ??
      check(t, 'name', u.name, 'text') ??
      check(t, 'email', u.email, 'text') ??
      check(t, 'segment', u.segment, 'text') ??
      check(t, 'city', u.city, 'text') ??
      check(t, 'country', u.country, 'text') ??
      check(t, 'created_at', u.created_at, 'time') ??
      check(t, 'updated_at', u.updated_at, 'time')
    );
  }
  const t = tables.orders;
  const o = change.order;
  const order =
    check(t, 'order_id', change.id, 'text') ??
    check(t, 'source_ts_ms', change.source_ts_ms, 'time') ??
    check(t, 'customer_id', o.customer_id, 'text') ??
    check(t, 'customer_name', o.customer_name, 'text') ??
    check(t, 'customer_email', o.customer_email, 'text') ??
    check(t, 'customer_segment', o.customer_segment, 'text') ??
    check(t, 'status', o.status, 'text') ??
    check(t, 'currency', o.currency, 'text') ??
    check(t, 'total', o.total, 'decimal') ??
    check(t, 'item_count', o.item_count, 'int') ??
    check(t, 'created_at', o.created_at, 'time') ??
    check(t, 'updated_at', o.updated_at, 'time');
  if (order !== undefined) return order;
  const i = tables.items;
  for (const it of change.items) {
    const why =
      check(i, 'line', it.line, 'int') ??
      check(i, 'sku', it.sku, 'text') ??
      check(i, 'name', it.name, 'text') ??
      check(i, 'quantity', it.quantity, 'int') ??
      check(i, 'unit_price', it.unit_price, 'decimal');
    if (why !== undefined) return why;
  }
  return undefined;
}
