import t from 'tap';
import Type from 'typebox';
import { Secret, defineTransform } from '../../runtime/api/index.js';
import { REDACTED, looksSecret, lookupFromMaps, redact, redactConnectorConfig, redactString } from '../../runtime/config/index.js';

const schema = Type.Object({
  'connection.uri': Secret(Type.String()),
  'database.name': Type.String(),
});

t.test('redact hides schema secrets and secret-looking keys', async (t) => {
  const config = {
    'connection.uri': 'mongodb://u:p@h',
    'database.name': 'shop',
    'ssl.keystore.password': 'pw',
    'api.secret': 'xx',
    'rest.auth.token': 'tok',
    'tokens.count': 3,
    'from.file': '${file:/etc/x:k}',
    'connection.password': '${env:PW}',
    'unset.password': '',
  };
  const out = redact(config, schema);
  t.same(out, {
    'connection.uri': REDACTED,
    'database.name': 'shop',
    'ssl.keystore.password': REDACTED,
    'api.secret': REDACTED,
    'rest.auth.token': REDACTED,
    'tokens.count': 3,
    'from.file': '${file:/etc/x:k}',
    'connection.password': '${env:PW}',
    'unset.password': '',
  });
  t.equal(config['connection.uri'], 'mongodb://u:p@h', 'input untouched');
  t.same(redact({ 'connection.uri': '${env:URI}' }, schema), { 'connection.uri': '${env:URI}' }, 'a bare reference is shown');
  t.same(redact({ 'connection.uri': 'x${env:URI}' }, schema), { 'connection.uri': REDACTED }, 'mixed values are hidden');
});

t.test('looksSecret', async (t) => {
  for (const k of ['password', 'db.password', 'passwordFile', 'x.secret', 'secret', 'rest.auth.token']) t.ok(looksSecret(k), k);
  for (const k of ['secret.name.prefix', 'tokens.max', 'topic']) t.notOk(looksSecret(k), k);
});

t.test('redactConnectorConfig also hides transform secrets', async (t) => {
  const Enrich = defineTransform({
    name: 'Enrich',
    version: '1',
    description: 'd',
    config: Type.Object({ 'lookup.uri': Secret(Type.String()), table: Type.String() }),
    create: () => ({ apply: (r) => r }),
  });
  const out = redactConnectorConfig(
    {
      'connection.uri': 'u',
      'transforms.e.type': 'Enrich',
      'transforms.e.lookup.uri': 'postgres://secret',
      'transforms.e.table': 'customers',
    },
    schema,
    lookupFromMaps({ Enrich }, {}),
  );
  t.same(out, {
    'connection.uri': REDACTED,
    'transforms.e.type': 'Enrich',
    'transforms.e.lookup.uri': REDACTED,
    'transforms.e.table': 'customers',
  });
});

t.test('redactString removes resolved values, longest first', async (t) => {
  t.equal(redactString('auth failed for app:s3cret@db and s3cret again', ['s3cret', 'app:s3cret', '']), `auth failed for ${REDACTED}@db and ${REDACTED} again`);
  t.equal(redactString('nothing here', []), 'nothing here');
  t.equal(redactString('a.b*c', ['.b*']), `a${REDACTED}c`, 'secrets are literal, not patterns');
});
