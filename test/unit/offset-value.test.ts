import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError } from '../../runtime/errors.js';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import { MemoryOffsetStore } from '../../runtime/offsets/memory-store.js';
import { MAX_OFFSET_DEPTH, validateOffsetWrites } from '../../runtime/offsets/offset-value.js';

const write =
  (offset: unknown, partition: unknown = { p: 0 }) =>
  () =>
    validateOffsetWrites('c', [{ partition: partition as Record<string, unknown>, offset: offset as Record<string, unknown> | null }]);

t.test('JSON values pass; a null offset deletes and needs no checking', async (t) => {
  t.doesNotThrow(write({ s: 'x', n: 1.5, b: true, z: null, a: [1, 'two', { three: 3 }], o: Object.create(null) as object }));
  t.doesNotThrow(write(null));
});

t.test('values JSON cannot store are refused with the path', async (t) => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const cases: Array<[unknown, RegExp]> = [
    [{ n: 1n }, /offset holds a bigint at n/],
    [{ n: Number.NaN }, /offset holds NaN at n, which JSON cannot represent/],
    [{ n: Infinity }, /holds Infinity/],
    [{ n: undefined }, /holds a undefined at n/],
    [{ f: () => 1 }, /holds a function at f/],
    [{ when: new Date(0) }, /holds a Date at when; only plain objects and arrays/],
    [{ m: new Map() }, /holds a Map at m/],
    [{ a: [0, Symbol('s')] }, /holds a symbol at a\[1\]/],
    [cycle, new RegExp(`nested deeper than ${MAX_OFFSET_DEPTH} levels`)],
    ['text', /offset must be a JSON object/],
    [[1], /offset must be a JSON object/],
  ];
  for (const [offset, message] of cases) t.throws(write(offset), { name: 'BadRequestError', message }, String(message));
  t.throws(write({ n: 1 }, { p: 1n }), /partition holds a bigint at p/);
  t.throws(write({ n: 1 }, null), /partition must be a JSON object/);
});

t.test('a store refuses an invalid batch whole and keeps what it had', async (t) => {
  const store = new MemoryOffsetStore();
  await store.start();
  await store.set('c', [{ partition: { p: 0 }, offset: { n: 1 } }]);
  await t.rejects(
    store.set('c', [
      { partition: { p: 0 }, offset: { n: 2 } },
      { partition: { p: 1 }, offset: { n: 3n } as never },
    ]),
    BadRequestError,
  );
  t.same(await store.getAll('c'), [{ partition: { p: 0 }, offset: { n: 1 } }]);
});

t.test('a file store refuses to start on an unusable stored offset, naming the file', async (t) => {
  const path = join(t.testdir(), 'offsets.json');
  let deep: unknown = { leaf: 1 };
  for (let i = 0; i < MAX_OFFSET_DEPTH; i++) deep = { a: deep };
  writeFileSync(path, JSON.stringify({ version: 1, connectors: { c: [{ partition: { p: 0 }, offset: deep }] } }));
  await t.rejects(new FileOffsetStore(path).start(), {
    name: 'FatalError',
    message: new RegExp(`offset file ${path}: offset entry 0 of connector c: offset is nested deeper than ${MAX_OFFSET_DEPTH} levels.*move .* aside`),
  });
});
