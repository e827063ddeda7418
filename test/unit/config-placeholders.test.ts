import t from 'tap';
import { parseProperties, resolvePlaceholders, type PlaceholderSources } from '../../runtime/config/index.js';

const files: Record<string, string> = {
  '/run/secrets/db.properties': '# comment\n! other comment\nuser = app\npassword=s3cr=t\n  spaced : value with spaces  \nflag\n',
  '/c:/odd:path.properties': 'k=v\n',
};

const sources: PlaceholderSources = {
  env: { DB_HOST: 'db.local', EMPTY: '' },
  readFile: (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  },
};

t.test('parseProperties', async (t) => {
  const p = parseProperties(files['/run/secrets/db.properties'] ?? '');
  t.same(
    [...p],
    [
      ['user', 'app'],
      ['password', 's3cr=t'],
      ['spaced', 'value with spaces'],
      ['flag', ''],
    ],
  );
});

t.test('resolves env and file placeholders anywhere in strings', async (t) => {
  const raw = {
    'connection.uri': 'postgres://${file:/run/secrets/db.properties:user}:${file:/run/secrets/db.properties:password}@${env:DB_HOST}/wh',
    'tasks.max': 2,
    nested: { list: ['${env:DB_HOST}', 1] },
    literal: 'cost: ${amount}',
    empty: '${env:EMPTY}',
    colon: '${file:/c:/odd:path.properties:k}',
  };
  const r = await resolvePlaceholders(raw, sources);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.config, {
    'connection.uri': 'postgres://app:s3cr=t@db.local/wh',
    'tasks.max': 2,
    nested: { list: ['db.local', 1] },
    literal: 'cost: ${amount}',
    empty: '',
    colon: 'v',
  });
  t.same([...r.secrets].sort(), ['app', 'db.local', 's3cr=t', 'v']);
  t.match(raw['connection.uri'], /\$\{file:/, 'input untouched');
});

t.test('errors name the key, never the value', async (t) => {
  const r = await resolvePlaceholders(
    {
      a: '${env:MISSING}',
      b: '${file:/nope.properties:x}',
      c: '${file:/run/secrets/db.properties:nokey}',
      d: '${file:nopath}',
      e: 'ok ${env:DB_HOST}',
    },
    sources,
  );
  t.notOk(r.ok);
  if (r.ok) return;
  const unreadable = 'cannot be resolved: it must name a readable properties file under config.providers.file.allowed.paths that has the key';
  t.same(r.errors, [
    { key: 'a', message: '${env:MISSING} cannot be resolved' },
    { key: 'b', message: `\${file:/nope.properties:x} ${unreadable}` },
    { key: 'c', message: `\${file:/run/secrets/db.properties:nokey} ${unreadable}` },
    { key: 'd', message: '${file:nopath} must have the form ${file:/path/to/file:key}' },
  ]);
  t.notOk(JSON.stringify(r.errors).includes('s3cr'));
});

t.test('a file is read once per resolution', async (t) => {
  let reads = 0;
  const r = await resolvePlaceholders(
    { a: '${file:/run/secrets/db.properties:user}', b: '${file:/run/secrets/db.properties:password}' },
    { env: {}, readFile: async (p) => (reads++, files[p] ?? '') },
  );
  t.ok(r.ok);
  t.equal(reads, 1);
});
