import t from 'tap';
import { ConfigError, type ConnectRecord } from '../../runtime/api/index.js';
import { validateConnectorConfig, lookupFromMaps } from '../../runtime/config/index.js';
import { HasHeaderKey, RecordIsTombstone, TopicNameMatches, predicates } from '../../transforms/predicates/index.js';
import { transforms } from '../../transforms/index.js';

const rec = (over: Partial<ConnectRecord>): ConnectRecord => ({ topic: 'orders-cdc', key: 'k', value: {}, headers: {}, timestamp: 0, ...over });

t.test('registry is an explicit map by plugin name', async (t) => {
  t.same(Object.keys(predicates).sort(), ['HasHeaderKey', 'RecordIsTombstone', 'TopicNameMatches']);
  for (const [name, def] of Object.entries(predicates)) {
    t.equal(def.name, name);
    t.ok(def.description);
  }
  t.same(Object.keys(transforms).sort(), [
    'EnrichCustomer',
    'ExtractField',
    'Filter',
    'InsertField',
    'ParseCustomer',
    'ParseOrder',
    'ReplaceField',
    'TimestampConverter',
    'ValidateOrder',
    'ValueToKey',
  ]);
  for (const [name, def] of Object.entries(transforms)) {
    t.equal(def.name, name);
    t.ok(def.description);
  }
});

t.test('TopicNameMatches matches the whole name', async (t) => {
  const p = TopicNameMatches.create({ pattern: 'orders-.*' });
  t.ok(p.test(rec({ topic: 'orders-cdc' })));
  t.notOk(p.test(rec({ topic: 'x-orders-cdc' })));
  const partial = TopicNameMatches.create({ pattern: 'orders' });
  t.notOk(partial.test(rec({ topic: 'orders-cdc' })), 'no substring match');
  const alt = TopicNameMatches.create({ pattern: 'a|b' });
  t.ok(alt.test(rec({ topic: 'b' })));
  t.notOk(alt.test(rec({ topic: 'ab' })), 'alternation is anchored as a whole');
  t.throws(() => TopicNameMatches.create({ pattern: '(' }), ConfigError);
});

t.test('TopicNameMatches decides a pattern that backtracks exponentially in one pass (RE2)', async (t) => {
  // A backtracking engine needs about 2^60 steps here: the test would never end.
  const p = TopicNameMatches.create({ pattern: '(?:.*){20}X' });
  t.notOk(p.test(rec({ topic: 'a'.repeat(60) })));
  t.ok(p.test(rec({ topic: `${'a'.repeat(60)}X` })));
  const backreference = (() => {
    try {
      TopicNameMatches.create({ pattern: '(a)\\1' });
    } catch (err) {
      return err as ConfigError;
    }
  })();
  t.ok(backreference instanceof ConfigError, 'a backreference (not linear-time) is refused');
  t.match(backreference?.errors, [{ key: 'pattern', message: /not a valid regular expression/ }]);
});

t.test('TopicNameMatches config requires pattern', async (t) => {
  const r = validateConnectorConfig(
    TopicNameMatches.config,
    { 'connector.class': 'x', predicates: 'p', 'predicates.p.type': 'TopicNameMatches' },
    { lookup: lookupFromMaps({}, predicates) },
  );
  t.notOk(r.ok);
});

t.test('HasHeaderKey', async (t) => {
  const p = HasHeaderKey.create({ name: 'conflux.error.stage' });
  t.ok(p.test(rec({ headers: { 'conflux.error.stage': '' } })));
  t.ok(p.test(rec({ headers: { 'conflux.error.stage': Buffer.alloc(0) } })));
  t.notOk(p.test(rec({ headers: { other: 'x' } })));
  t.notOk(HasHeaderKey.create({ name: 'toString' }).test(rec({})), 'prototype keys are not headers');
});

t.test('RecordIsTombstone', async (t) => {
  const p = RecordIsTombstone.create({});
  t.ok(p.test(rec({ value: null })));
  t.notOk(p.test(rec({ value: {} })));
  t.notOk(p.test(rec({ value: 0 })));
});
