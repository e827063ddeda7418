import t from 'tap';
import { computeAssignment, revokeFirst, type MemberState, type MemberWork, type TaskId } from '../../runtime/cluster/assignment.js';

const idle = (workerId: string): MemberState => ({ workerId, owned: { connectors: [], tasks: [] } });
const counts = (a: Map<string, { connectors: string[]; tasks: TaskId[] }>) => [...a.values()].map((w) => w.connectors.length + w.tasks.length);

t.test('a fresh group: connectors and tasks spread evenly, tasks of one connector over different workers', async (t) => {
  const a = computeAssignment(
    [idle('w3'), idle('w1'), idle('w2')],
    [
      { name: 'source', tasks: 3 },
      { name: 'sink', tasks: 3 },
    ],
  );
  t.same([...a.keys()], ['w1', 'w2', 'w3']);
  for (const [id, work] of a) {
    t.equal(work.tasks.length, 2, `${id} runs two tasks`);
    t.same(new Set(work.tasks.map(([name]) => name)), new Set(['sink', 'source']), `${id} runs one task of each connector`);
  }
  t.same([...a.values()].flatMap((w) => w.connectors).sort(), ['sink', 'source'], 'each connector once');
});

t.test('a joining worker takes a share; tasks that stay are not moved', async (t) => {
  const before = computeAssignment([idle('w1'), idle('w2')], [{ name: 's', tasks: 6 }]);
  const members: MemberState[] = [...before].map(([workerId, owned]) => ({ workerId, owned }));
  const after = computeAssignment([...members, idle('w3')], [{ name: 's', tasks: 6 }]);
  t.same(
    [...after.values()].map((w) => w.tasks.length),
    [2, 2, 2],
    'two tasks each',
  );
  t.same(
    counts(after).reduce((a, b) => a + b),
    7,
    'six tasks and the connector, once each',
  );
  for (const id of ['w1', 'w2']) {
    const kept = after.get(id)!.tasks;
    t.ok(
      kept.every((task) => before.get(id)!.tasks.some((old) => old[0] === task[0] && old[1] === task[1])),
      `${id} got nothing new: it only gave tasks away`,
    );
  }
});

t.test('a worker that left: its tasks go to the others, everyone else keeps theirs', async (t) => {
  const before = computeAssignment(
    [idle('w1'), idle('w2'), idle('w3')],
    [
      { name: 's', tasks: 6 },
      { name: 'k', tasks: 3 },
    ],
  );
  const survivors: MemberState[] = ['w1', 'w3'].map((workerId) => ({ workerId, owned: before.get(workerId)! }));
  const after = computeAssignment(survivors, [
    { name: 's', tasks: 6 },
    { name: 'k', tasks: 3 },
  ]);
  const all = [...after.values()].flatMap((w) => w.tasks.map(([n, i]) => `${n}-${i}`)).sort();
  t.equal(all.length, 9, 'every task assigned once');
  t.equal(new Set(all).size, 9);
  for (const id of ['w1', 'w3']) {
    for (const [n, i] of before.get(id)!.tasks)
      t.ok(
        after.get(id)!.tasks.some(([m, j]) => m === n && j === i),
        `${id} keeps ${n}-${i}`,
      );
  }
  const taskCounts = [...after.values()].map((w) => w.tasks.length);
  t.ok(Math.abs(taskCounts[0]! - taskCounts[1]!) <= 1, 'balanced');
});

t.test('deleted connectors and tasks beyond a smaller count are dropped; a task claimed twice stays with one', async (t) => {
  const a = computeAssignment(
    [
      {
        workerId: 'w1',
        owned: {
          connectors: ['gone', 's'],
          tasks: [
            ['s', 0],
            ['s', 5],
            ['gone', 0],
          ],
        },
      },
      {
        workerId: 'w2',
        owned: {
          connectors: [],
          tasks: [
            ['s', 0],
            ['s', 1],
          ],
        },
      },
    ],
    [{ name: 's', tasks: 2 }],
  );
  t.same(a.get('w1'), { connectors: ['s'], tasks: [['s', 0]] });
  t.same(a.get('w2'), { connectors: [], tasks: [['s', 1]] });
});

t.test('no members, no work', async (t) => {
  t.same(computeAssignment([], [{ name: 's', tasks: 2 }]).size, 0);
  t.same(computeAssignment([idle('w1')], []).get('w1'), { connectors: [], tasks: [] });
});

/** One rebalance as the leader runs it: the balanced target, moves between live members deferred. */
const round = (members: MemberState[], work: Array<{ name: string; tasks: number }>) => revokeFirst(members, computeAssignment(members, work));
const ownedAfter = (plan: Map<string, MemberWork>): MemberState[] =>
  [...plan].map(([workerId, w]) => ({ workerId, owned: { connectors: w.connectors, tasks: w.tasks } }));
const keys = (w: MemberWork) => w.tasks.map(([n, i]) => `${n}-${i}`);

t.test('a task moving between live workers moves in two rebalances: first taken from its owner, who rejoins; then handed to the new worker', async (t) => {
  const work = [{ name: 's', tasks: 6 }];
  const first = round([idle('w1'), idle('w2')], work);
  t.same(
    [...first.values()].map((w) => w.rejoin),
    [false, false],
    'a fresh group hands everything out at once',
  );
  const revoking = round([...ownedAfter(first), idle('w3')], work);
  t.same(revoking.get('w3'), { connectors: [], tasks: [], rejoin: false }, 'the new worker gets nothing in the first round');
  for (const id of ['w1', 'w2']) {
    t.equal(revoking.get(id)!.tasks.length, 2, `${id} keeps two of its three tasks`);
    t.ok(revoking.get(id)!.rejoin, `${id} gave one up and is asked to rejoin`);
    t.ok(
      keys(revoking.get(id)!).every((k) => keys(first.get(id)!).includes(k)),
      `${id} got nothing new`,
    );
  }
  const second = round(ownedAfter(revoking), work);
  t.same(
    [...second.values()].map((w) => w.tasks.length),
    [2, 2, 2],
    'the second round hands the two free tasks to the new worker',
  );
  t.same(
    [...second.values()].map((w) => w.rejoin),
    [false, false, false],
    'and needs no third',
  );
  for (const id of ['w1', 'w2']) t.same(keys(second.get(id)!), keys(revoking.get(id)!), `${id} keeps what it kept`);
  const all = [...second.values()].flatMap(keys);
  t.equal(new Set(all).size, 6, 'every task runs once');
});

t.test('the tasks of a worker that left are handed out in one rebalance: nobody else gives anything up', async (t) => {
  const work = [
    { name: 's', tasks: 6 },
    { name: 'k', tasks: 3 },
  ];
  const before = round([idle('w1'), idle('w2'), idle('w3')], work);
  const after = round(
    ownedAfter(before).filter((m) => m.workerId !== 'w2'),
    work,
  );
  t.same(
    [...after.values()].map((w) => w.rejoin),
    [false, false],
  );
  t.equal(new Set([...after.values()].flatMap(keys)).size, 9, 'all nine tasks assigned at once');
});
