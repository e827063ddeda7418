import t from 'tap';
import { DataError } from '../../runtime/api/index.js';
import { ConfigError } from '../../runtime/errors.js';
import { createConverter } from '../../runtime/converters/index.js';

t.test('json converter: round trip, tombstones, and a DataError for bad bytes', async (t) => {
  const json = createConverter('json', 'value', undefined);
  const bytes = await json.fromConnect('orders', { id: 'o-1', total: 2.5, big: 10n }, undefined);
  t.same(JSON.parse(bytes!.toString()), { id: 'o-1', total: 2.5, big: '10' }, 'bigints become strings');
  t.same(await json.toConnect('orders', bytes), { value: { id: 'o-1', total: 2.5, big: '10' } });
  t.equal(await json.fromConnect('orders', null, undefined), null, 'null is a tombstone');
  t.same(await json.toConnect('orders', null), { value: null });
  await t.rejects(json.toConnect('orders', Buffer.from('{nope')), DataError);
});

t.test('string converter: strings and buffers only', async (t) => {
  const string = createConverter('string', 'key', undefined);
  t.same(await string.fromConnect('orders', 'o-1', undefined), Buffer.from('o-1'));
  t.same(await string.toConnect('orders', Buffer.from('o-1')), { value: 'o-1' });
  await t.rejects(string.fromConnect('orders', { id: 1 }, undefined), DataError, 'an object is not silently stringified');
});

t.test('avro converter needs a schema registry', async (t) => {
  t.throws(() => createConverter('avro', 'value', undefined), ConfigError);
});

t.test('json and string converters answer synchronously with what the async methods give', async (t) => {
  for (const kind of ['json', 'string'] as const) {
    const c = createConverter(kind, 'value', undefined);
    const value = kind === 'json' ? { id: 'o-1', n: 2 } : 'o-1';
    const bytes = c.fromConnectSync('orders', value, undefined);
    t.same(bytes, await c.fromConnect('orders', value, undefined), `${kind}: same bytes`);
    t.same(c.toConnectSync('orders', bytes!), await c.toConnect('orders', bytes!), `${kind}: same value`);
  }
  t.throws(() => createConverter('json', 'value', undefined).toConnectSync('orders', Buffer.from('{nope')), DataError);
});
