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

type Column = readonly [name: string, value: unknown, kind: 'text' | 'int' | 'time' | 'decimal'];

function problemOf(value: unknown, kind: Column[2]): string | undefined {
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

/**
 * Why PostgreSQL would refuse a row of this change, naming the column, or undefined. Checked before
 * the COPY, so that one bad value is a record error (a dead letter naming the column) rather than a
 * failed batch; values the checks do not foresee are still isolated by the writer.
 */
export function columnProblem(change: OrderChange | CustomerChange, tables: { orders: string; items: string; customers: string }): string | undefined {
  if (change.op !== 'upsert') return undefined;
  const columns: Array<[table: string, ...Column]> = [];
  const add = (table: string, cols: readonly Column[]) => {
    for (const c of cols) columns.push([table, ...c]);
  };
  add(change.kind === 'order' ? tables.orders : tables.customers, [
    [change.kind === 'order' ? 'order_id' : 'customer_id', change.id, 'text'],
    ['source_ts_ms', change.source_ts_ms, 'time'],
  ]);
  if (change.kind === 'customer') {
    const u = change.customer;
    add(tables.customers, [
      ['name', u.name, 'text'],
      ['email', u.email, 'text'],
      ['segment', u.segment, 'text'],
      ['city', u.city, 'text'],
      ['country', u.country, 'text'],
      ['created_at', u.created_at, 'time'],
      ['updated_at', u.updated_at, 'time'],
    ]);
  } else {
    const o = change.order;
    add(tables.orders, [
      ['customer_id', o.customer_id, 'text'],
      ['customer_name', o.customer_name, 'text'],
      ['customer_email', o.customer_email, 'text'],
      ['customer_segment', o.customer_segment, 'text'],
      ['status', o.status, 'text'],
      ['currency', o.currency, 'text'],
      ['total', o.total, 'decimal'],
      ['item_count', o.item_count, 'int'],
      ['created_at', o.created_at, 'time'],
      ['updated_at', o.updated_at, 'time'],
    ]);
    for (const it of change.items) {
      add(tables.items, [
        ['line', it.line, 'int'],
        ['sku', it.sku, 'text'],
        ['name', it.name, 'text'],
        ['quantity', it.quantity, 'int'],
        ['unit_price', it.unit_price, 'decimal'],
      ]);
    }
  }
  for (const [table, name, value, kind] of columns) {
    const why = problemOf(value, kind);
    if (why) return `column ${table}.${name}: ${why}`;
  }
  return undefined;
}
