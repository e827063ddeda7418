import t from 'tap';
import { formatPlan, planApply } from '../../cli/plan.js';

const file = (name: string, config: Record<string, string>) => ({ path: `${name}.json`, name, config });

t.test('plan: create, update, delete (with prune), unchanged', async (t) => {
  const files = [
    file('new', { 'connector.class': 'x', topic: 'a' }),
    file('changed', { 'connector.class': 'x', topic: 'b', 'tasks.max': '2' }),
    file('same', { 'connector.class': 'x', topic: 'c' }),
  ];
  const current = {
    changed: { 'connector.class': 'x', topic: 'old', 'batch.size': '5' },
    same: { 'connector.class': 'x', topic: 'c', name: 'same' },
    orphan: { 'connector.class': 'x' },
  };
  const steps = planApply(files, current, true);
  t.same(
    steps.map((s) => `${s.action} ${s.name}`),
    ['create new', 'update changed', 'unchanged same', 'delete orphan'],
  );
  const update = steps[1]!;
  t.same(update.action === 'update' && update.changes, [
    { key: 'batch.size', from: '5' },
    { key: 'tasks.max', to: '2' },
    { key: 'topic', from: 'old', to: 'b' },
  ]);
  t.equal(
    formatPlan(steps),
    [
      '+ create new',
      '    + connector.class = x',
      '    + topic = a',
      '~ update changed',
      '    - batch.size = 5',
      '    + tasks.max = 2',
      '    ~ topic: old -> b',
      '= unchanged same',
      '- delete orphan',
      'Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged.',
    ].join('\n'),
  );
});

t.test('plan: without prune, connectors without a file are left alone', async (t) => {
  t.same(planApply([], { orphan: { 'connector.class': 'x' } }, false), []);
});

t.test('plan: a hidden secret on the worker is not a change', async (t) => {
  const steps = planApply([file('db', { 'connection.password': '${env:PW}' })], { db: { 'connection.password': '[hidden]' } }, false);
  t.same(steps, [{ action: 'unchanged', name: 'db' }]);
});
