import { formatDecimal, parseDecimal, rescale, type Decimal } from '../../transforms/support/decimal.js';

/** What the reconciliation compares of one order. */
export interface OrderFacts {
  readonly status: string;
  /** Decimal string, exact. */
  readonly total: string;
}

/**
 * Both sides of the orders pipeline at one moment. `expected` are the MongoDB orders that pass the
 * pipeline's rules (they must be in the warehouse, equal); `invalid` are the MongoDB orders that
 * break a rule, with the rule (they must not be in the warehouse, and must be dead-lettered with it).
 */
export interface ReconcileInput {
  readonly expected: ReadonlyMap<string, OrderFacts>;
  readonly invalid: ReadonlyMap<string, string>;
  readonly warehouse: ReadonlyMap<string, OrderFacts>;
  /** Order ids in the dead-letter topic, per rule. */
  readonly rejected: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface SideTotals {
  readonly count: number;
  readonly sum: string;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface Reconciliation {
  readonly ok: boolean;
  readonly mongo: SideTotals & { readonly invalid: number };
  readonly warehouse: SideTotals;
  /** Valid MongoDB orders the warehouse lacks. */
  readonly missing: readonly string[];
  /** Warehouse orders that are not valid MongoDB orders (deleted, invalid or unknown). */
  readonly unexpected: readonly string[];
  /** Orders on both sides whose status or total differ. */
  readonly different: readonly string[];
  /** Invalid MongoDB orders without a dead-letter record of their rule. */
  readonly notDeadLettered: readonly string[];
  /** Distinct order ids in the dead-letter topic, per rule. */
  readonly rejectedByRule: Readonly<Record<string, number>>;
  /** Invalid MongoDB orders per rule. */
  readonly invalidByRule: Readonly<Record<string, number>>;
}

/** Counts and the exact sum at `scale` decimals (the same for both sides, so their sums read alike). */
function totals(orders: ReadonlyMap<string, OrderFacts>, scale: number): SideTotals {
  let units = 0n;
  const byStatus: Record<string, number> = {};
  for (const o of orders.values()) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    const d = parseDecimal(o.total);
    if (d) units += atScale(d, scale);
  }
  return { count: orders.size, sum: formatDecimal(units, scale), byStatus: sorted(byStatus) };
}

/** The amount in units of 10^-scale; `scale` is never below the amount's significant decimals (see sumScale). */
const atScale = (d: Decimal, scale: number): bigint => (d.scale <= scale ? rescale(d, scale) : d.units / 10n ** BigInt(d.scale - scale));

/** The scale of the sums: at least cents, more if an amount has more (trailing zeros aside). */
function sumScale(...sides: ReadonlyMap<string, OrderFacts>[]): number {
  let scale = 2;
  for (const side of sides) {
    for (const o of side.values()) {
      const d = parseDecimal(o.total);
      if (!d) continue;
      let { units, scale: s } = d;
      while (s > scale && units % 10n === 0n) {
        units /= 10n;
        s -= 1;
      }
      scale = Math.max(scale, s);
    }
  }
  return scale;
}

function sameAmount(a: string, b: string): boolean {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (!x || !y) return a === b;
  const scale = Math.max(x.scale, y.scale);
  return rescale(x, scale) === rescale(y, scale);
}

const sorted = <V>(record: Record<string, V>): Record<string, V> => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

/**
 * MongoDB vs the warehouse. It reconciles when the warehouse holds exactly the valid MongoDB
 * orders with their status and total, and every invalid order was dead-lettered with its rule.
 * Deleted orders are in neither; an invalid order is in MongoDB but rightly not in the warehouse.
 */
export function reconcile(input: ReconcileInput): Reconciliation {
  const missing: string[] = [];
  const different: string[] = [];
  for (const [id, want] of input.expected) {
    const got = input.warehouse.get(id);
    if (!got) missing.push(id);
    else if (got.status !== want.status || !sameAmount(got.total, want.total)) different.push(id);
  }
  const unexpected = [...input.warehouse.keys()].filter((id) => !input.expected.has(id));
  const notDeadLettered = [...input.invalid].filter(([id, rule]) => !input.rejected.get(rule)?.has(id)).map(([id]) => id);
  const invalidByRule: Record<string, number> = {};
  for (const rule of input.invalid.values()) invalidByRule[rule] = (invalidByRule[rule] ?? 0) + 1;
  const scale = sumScale(input.expected, input.warehouse);
  const rejectedByRule = sorted(Object.fromEntries([...input.rejected].map(([rule, ids]) => [rule, ids.size])));
  return {
    ok: missing.length === 0 && unexpected.length === 0 && different.length === 0 && notDeadLettered.length === 0,
    mongo: { ...totals(input.expected, scale), invalid: input.invalid.size },
    warehouse: totals(input.warehouse, scale),
    missing: missing.sort(),
    unexpected: unexpected.sort(),
    different: different.sort(),
    notDeadLettered: notDeadLettered.sort(),
    rejectedByRule,
    invalidByRule: sorted(invalidByRule),
  };
}

const SHOWN_IDS = 5;

function ids(list: readonly string[]): string {
  const shown = list.slice(0, SHOWN_IDS).join(', ');
  return list.length > SHOWN_IDS ? `${shown}, ... (${list.length} in all)` : shown;
}

/** The reconciliation as a table for people, with the verdict last. */
export function formatReconciliation(r: Reconciliation): string[] {
  const mark = (a: unknown, b: unknown) => (a === b ? 'ok' : 'MISMATCH');
  const row = (what: string, mongo: string | number, warehouse: string | number) =>
    `  ${what.padEnd(26)} ${String(mongo).padStart(14)} ${String(warehouse).padStart(14)}   ${mark(String(mongo), String(warehouse))}`;
  const lines = [
    'Reconciliation: MongoDB (valid orders) vs warehouse (fact_orders)',
    `  ${''.padEnd(26)} ${'MongoDB'.padStart(14)} ${'warehouse'.padStart(14)}`,
    row('orders', r.mongo.count, r.warehouse.count),
    row('sum of totals', r.mongo.sum, r.warehouse.sum),
  ];
  const statuses = [...new Set([...Object.keys(r.mongo.byStatus), ...Object.keys(r.warehouse.byStatus)])].sort();
  for (const s of statuses) lines.push(row(`status ${s}`, r.mongo.byStatus[s] ?? 0, r.warehouse.byStatus[s] ?? 0));
  lines.push('', `Rejected orders by rule (invalid in MongoDB now / order ids in the dead-letter topic):`);
  const rules = [...new Set([...Object.keys(r.invalidByRule), ...Object.keys(r.rejectedByRule)])].sort();
  if (rules.length === 0) lines.push('  none');
  for (const rule of rules)
    lines.push(`  ${rule.padEnd(26)} ${String(r.invalidByRule[rule] ?? 0).padStart(14)} ${String(r.rejectedByRule[rule] ?? 0).padStart(14)}`);
  lines.push(`  (an order fixed or deleted after its rejection stays in the dead-letter topic)`);
  if (r.missing.length > 0) lines.push(`missing from the warehouse: ${ids(r.missing)}`);
  if (r.unexpected.length > 0) lines.push(`in the warehouse but not a valid MongoDB order: ${ids(r.unexpected)}`);
  if (r.different.length > 0) lines.push(`status or total differ: ${ids(r.different)}`);
  if (r.notDeadLettered.length > 0) lines.push(`invalid but not dead-lettered with their rule: ${ids(r.notDeadLettered)}`);
  lines.push('', r.ok ? `RECONCILED: ${r.mongo.count} orders, total ${r.mongo.sum}, ${r.mongo.invalid} invalid orders rejected` : 'NOT RECONCILED');
  return lines;
}
