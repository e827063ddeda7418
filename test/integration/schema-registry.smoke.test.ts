import t from 'tap';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { services, uniqueName } from '../helpers/services.js';

const { schemaRegistryUrl } = services();

const v1 = {
  type: 'record',
  name: 'Order',
  namespace: 'conflux.smoke',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'double' },
  ],
};
// Backward compatible: the new field has a default, so readers on v2 can read v1 data.
const v2 = { ...v1, fields: [...v1.fields, { name: 'currency', type: 'string', default: 'EUR' }] };
// Not backward compatible: a new field without a default.
const incompatible = { ...v1, fields: [...v1.fields, { name: 'status', type: 'string' }] };

t.test('schema registry: register, encode/decode in the Confluent wire format, evolve', async (t) => {
  const registry = new SchemaRegistry({ host: schemaRegistryUrl });
  const subject = `${uniqueName('orders')}-value`;

  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject }).catch((err: Error) => {
    throw new Error(`Schema Registry at ${schemaRegistryUrl} failed: ${err.message}`);
  });
  t.type(id, 'number', 'registry assigned a schema id');

  const encoded = await registry.encode(id, { id: 'o-1', total: 12.5 });
  t.equal(encoded[0], 0, 'magic byte 0');
  t.equal(encoded.readInt32BE(1), id, 'bytes 1-4 carry the schema id');
  t.same(await registry.decode(encoded), { id: 'o-1', total: 12.5 }, 'round trip through the registry');

  const evolved = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
  t.not(evolved.id, id, 'the evolution got its own id');
  t.equal(await registry.getLatestSchemaId(subject), evolved.id, 'latest version is the evolution');
  // Data written with v1 still decodes after the evolution.
  t.same(await registry.decode(encoded), { id: 'o-1', total: 12.5 }, 'old data still decodes');

  await t.rejects(
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    'an incompatible change is refused by the BACKWARD rule',
  );
});
