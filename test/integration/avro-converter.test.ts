import t from 'tap';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { DataError, FatalError } from '../../runtime/api/index.js';
import { createConverter } from '../../runtime/converters/index.js';
import { services, uniqueName } from '../helpers/services.js';

const registry = new SchemaRegistry({ host: services().schemaRegistryUrl });
const schema = {
  type: 'record',
  name: 'Order',
  namespace: 'conflux.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'double' },
  ],
};

t.test('avro converter against the real registry: subject <topic>-value, wire format, errors as DataError', async (t) => {
  const topic = uniqueName('avro');
  const avro = createConverter('avro', 'value', registry);
  const bytes = await avro.fromConnect(topic, { id: 'o-1', total: 9.5 }, schema);
  t.equal(bytes![0], 0, 'magic byte');
  const id = bytes!.readInt32BE(1);
  t.equal(await registry.getLatestSchemaId(`${topic}-value`), id, 'registered under <topic>-value');
  const back = await avro.toConnect(topic, bytes);
  t.same(back.value, { id: 'o-1', total: 9.5 });
  // avsc normalises the schema (full name, no namespace key); the fields are what matter.
  t.match(back.schema, { type: 'record', name: 'conflux.test.Order', fields: [{ name: 'id' }, { name: 'total' }] }, 'the writer schema comes with the value');

  await t.rejects(avro.fromConnect(topic, { id: 'o-2' }, schema), DataError, 'a value that does not fit its schema');
  await t.rejects(avro.fromConnect(topic, { id: 'o-2', total: 1 }, undefined), DataError, 'a value without a schema');
  await t.rejects(avro.toConnect(topic, Buffer.from('{"id":"json"}')), DataError, 'bytes not in the wire format');
  const unknown = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0x00]), Buffer.from([0x02])]);
  await t.rejects(avro.toConnect(topic, unknown), DataError, 'an unknown schema id');
  const incompatible = { ...schema, fields: [...schema.fields, { name: 'status', type: 'string' }] };
  // Not one bad record: every record of the subject would be refused, so the task must fail, visibly.
  const refused = await avro.fromConnect(topic, { id: 'o-3', total: 1, status: 'new' }, incompatible).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(refused instanceof FatalError, 'a schema the BACKWARD rule refuses fails the task (FatalError), not the record');
  t.match((refused as Error).message, new RegExp(`subject ${topic}-value \\(incompatible with the subject's compatibility rule\\)`));
});

t.test('avro converter: the synchronous fast path answers once the schema is cached, with the same bytes', async (t) => {
  const topic = uniqueName('avro-sync');
  const avro = createConverter('avro', 'value', registry);
  const value = { id: 'o-9', total: 12.25 };
  t.equal(avro.fromConnectSync(topic, value, schema), undefined, 'a cold writer cache needs the registry: undefined, not a guess');
  const bytes = await avro.fromConnect(topic, value, schema);
  t.same(avro.fromConnectSync(topic, value, schema), bytes, 'warm: the same wire bytes without a promise');
  t.same(avro.fromConnectSync(topic, value, { ...schema }), undefined, 'another schema object is looked up once more, asynchronously');
  t.equal(avro.fromConnectSync(topic, null, schema), null, 'a tombstone needs no schema lookup');
  t.throws(() => avro.fromConnectSync(topic, { id: 'o-9' }, schema), DataError, 'a value that does not fit throws at once');

  const reader = createConverter('avro', 'value', registry);
  t.equal(reader.toConnectSync(topic, bytes), undefined, 'a cold reader cache needs the registry');
  const decoded = await reader.toConnect(topic, bytes);
  t.same(reader.toConnectSync(topic, bytes), decoded, 'warm: the same value and schema without a promise');
  t.throws(() => reader.toConnectSync(topic, Buffer.from('plain')), DataError, 'bytes in another format throw at once');
  t.throws(() => reader.toConnectSync(topic, Buffer.concat([bytes!, Buffer.from([1, 2])])), DataError, 'trailing bytes are a DataError');
});
