import { Faker, base, en } from '@faker-js/faker';
import t from 'tap';
import { OrderRules, ruleOf, UNKNOWN_CUSTOMER } from '../../cli/demo/order-rules.js';
import { formatReconciliation, reconcile, type OrderFacts } from '../../cli/demo/reconcile.js';
import { customer, INVALID_KINDS, order } from '../../generator/shop-documents.js';

const facts = (entries: Array<[string, string, string]>) => new Map<string, OrderFacts>(entries.map(([id, status, total]) => [id, { status, total }]));
const rejected = (entries: Array<[string, string[]]>) => new Map(entries.map(([rule, ids]) => [rule, new Set(ids)]));

t.test('equal sides with their invalid orders dead-lettered reconcile', async (t) => {
  const expected = facts([
    ['a', 'paid', '10.50'],
    ['b', 'pending', '0.75'],
    ['c', 'paid', '100'],
  ]);
  // The warehouse spells the same amounts at another scale: numeric, not text, equality.
  const warehouse = facts([
    ['a', 'paid', '10.5'],
    ['b', 'pending', '0.750'],
    ['c', 'paid', '100.00'],
  ]);
  const r = reconcile({ expected, invalid: new Map([['x', 'currency-iso4217']]), warehouse, rejected: rejected([['currency-iso4217', ['x', 'fixed-later']]]) });
  t.equal(r.ok, true);
  t.same(r.mongo, { count: 3, sum: '111.25', byStatus: { paid: 2, pending: 1 }, invalid: 1 });
  t.same(r.warehouse, { count: 3, sum: '111.25', byStatus: { paid: 2, pending: 1 } });
  t.same(r.invalidByRule, { 'currency-iso4217': 1 });
  t.same(r.rejectedByRule, { 'currency-iso4217': 2 });
  const text = formatReconciliation(r).join('\n');
  t.match(text, /orders\s+3\s+3\s+ok/);
  t.match(text, /sum of totals\s+111\.25\s+111\.25\s+ok/);
  t.match(text, /currency-iso4217\s+1\s+2/);
  t.match(text, /RECONCILED: 3 orders, total 111\.25, 1 invalid orders rejected/);
  t.notMatch(text, /MISMATCH|NOT RECONCILED/);
});

t.test('each kind of disagreement fails the reconciliation and is named', async (t) => {
  const expected = facts([
    ['a', 'paid', '10.00'],
    ['b', 'shipped', '5.00'],
    ['c', 'pending', '7.00'],
  ]);
  const cases: Array<{
    name: string;
    warehouse: Map<string, OrderFacts>;
    dead?: Map<string, Set<string>>;
    field: 'missing' | 'unexpected' | 'different' | 'notDeadLettered';
    ids: string[];
    line: RegExp;
  }> = [
    {
      name: 'an order missing from the warehouse',
      warehouse: facts([
        ['a', 'paid', '10.00'],
        ['b', 'shipped', '5.00'],
      ]),
      field: 'missing',
      ids: ['c'],
      line: /missing from the warehouse: c/,
    },
    {
      name: 'a deleted order still in the warehouse',
      warehouse: facts([
        ['a', 'paid', '10.00'],
        ['b', 'shipped', '5.00'],
        ['c', 'pending', '7.00'],
        ['gone', 'delivered', '1.00'],
      ]),
      field: 'unexpected',
      ids: ['gone'],
      line: /not a valid MongoDB order: gone/,
    },
    {
      name: 'an invalid order that reached the warehouse',
      warehouse: facts([
        ['a', 'paid', '10.00'],
        ['b', 'shipped', '5.00'],
        ['c', 'pending', '7.00'],
        ['x', 'pending', '3.00'],
      ]),
      field: 'unexpected',
      ids: ['x'],
      line: /not a valid MongoDB order: x/,
    },
    {
      name: 'a stale status',
      warehouse: facts([
        ['a', 'paid', '10.00'],
        ['b', 'paid', '5.00'],
        ['c', 'pending', '7.00'],
      ]),
      field: 'different',
      ids: ['b'],
      line: /status or total differ: b/,
    },
    {
      name: 'a total off by a cent',
      warehouse: facts([
        ['a', 'paid', '10.01'],
        ['b', 'shipped', '5.00'],
        ['c', 'pending', '7.00'],
      ]),
      field: 'different',
      ids: ['a'],
      line: /status or total differ: a/,
    },
    {
      name: 'an invalid order dead-lettered under another rule',
      warehouse: facts([
        ['a', 'paid', '10.00'],
        ['b', 'shipped', '5.00'],
        ['c', 'pending', '7.00'],
      ]),
      dead: rejected([['quantity-positive', ['x']]]),
      field: 'notDeadLettered',
      ids: ['x'],
      line: /invalid but not dead-lettered with their rule: x/,
    },
  ];
  for (const c of cases) {
    const r = reconcile({
      expected,
      invalid: new Map([['x', 'currency-iso4217']]),
      warehouse: c.warehouse,
      rejected: c.dead ?? rejected([['currency-iso4217', ['x']]]),
    });
    t.equal(r.ok, false, c.name);
    t.same(r[c.field], c.ids, c.name);
    const text = formatReconciliation(r).join('\n');
    t.match(text, c.line, c.name);
    t.match(text, /NOT RECONCILED$/, c.name);
  }
});

t.test('the counts and sums of both sides are shown, with the rows that differ marked', async (t) => {
  const r = reconcile({
    expected: facts([
      ['a', 'paid', '10.00'],
      ['b', 'shipped', '5.00'],
    ]),
    invalid: new Map(),
    warehouse: facts([['a', 'paid', '10.00']]),
    rejected: new Map(),
  });
  const text = formatReconciliation(r).join('\n');
  t.match(text, /orders\s+2\s+1\s+MISMATCH/);
  t.match(text, /sum of totals\s+15\.00\s+10\.00\s+MISMATCH/);
  t.match(text, /status paid\s+1\s+1\s+ok/);
  t.match(text, /status shipped\s+1\s+0\s+MISMATCH/);
  t.match(text, /Rejected orders by rule[^\n]*\n\s+none/);
});

t.test('MongoDB orders are judged by the pipeline: each generated fault maps to the rule that dead-letters it', async (t) => {
  const f = new Faker({ locale: [en, base] });
  f.seed(3);
  const now = new Date();
  const known = customer(f, now);
  const rules = new OrderRules((id) => id === known._id.toHexString());
  const valid = order(f, known._id, now);
  const verdict = rules.judge(valid as unknown as Record<string, unknown>);
  t.same(verdict, { valid: true, facts: { status: 'pending', total: valid.total.toString() } });
  const expectedRule = {
    'negative-quantity': 'quantity-positive',
    'wrong-total': 'total-matches-lines',
    'unknown-currency': 'currency-iso4217',
    'missing-customer': UNKNOWN_CUSTOMER,
  } as const;
  for (const kind of INVALID_KINDS) {
    t.same(rules.judge(order(f, known._id, now, kind) as unknown as Record<string, unknown>), { valid: false, rule: expectedRule[kind] }, kind);
  }
});

t.test('the rule of a dead-lettered order comes from its error headers', async (t) => {
  t.equal(ruleOf('transform:validate', 'total-matches-lines: total 10.00 differs from the sum of the lines 9.00'), 'total-matches-lines');
  t.equal(ruleOf('transform:enrich', 'customer "65a" of order 65b is not in customers-cdc after waiting 30000 ms'), UNKNOWN_CUSTOMER);
  t.equal(ruleOf('transform:parse', 'an order change with op u has no after document'), 'transform:parse');
  t.equal(ruleOf('', ''), 'unknown');
});
