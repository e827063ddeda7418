/**
 * The quick start works wherever the user clones: a clone inside a private (0700) directory brings the whole
 * local stack up with `services up`, its state inside the clone. As root, PostgreSQL runs as the `postgres`
 * user, who cannot enter such a directory; scripts/services/postgres.sh keeps that cluster elsewhere.
 * Every port is a free one and the state directory is the clone's own, so the shared stack is not touched.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { freePort } from '../helpers/mongo-test-server.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

t.setTimeout(15 * 60_000); // installs nothing new (the download cache is shared), but starts four services

t.test('services up from a clone inside a 0700 directory', async (t) => {
  const privateDir = await mkdtemp(join(tmpdir(), 'conflux-private-'));
  await chmod(privateDir, 0o700);
  t.equal((await stat(privateDir)).mode & 0o777, 0o700, 'the clone lives in a private directory');
  const clone = join(privateDir, 'conflux');
  const { stdout: head } = await run('git', ['-C', repoRoot, 'rev-parse', 'HEAD']);
  await run('git', ['clone', '--quiet', '--no-checkout', repoRoot, clone]);
  await run('git', ['-C', clone, 'checkout', '--quiet', head.trim()]);

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('CONFLUX_')) delete env[name]; // the clone's own state dir
  for (const name of ['KAFKA', 'KAFKA_CONTROLLER', 'KAFKA_SASL', 'KAFKA_SSL', 'REGISTRY', 'REGISTRY_MANAGEMENT', 'MONGO', 'POSTGRES']) {
    env[`CONFLUX_${name}_PORT`] = String(await freePort());
  }
  if (process.env.CONFLUX_CACHE_DIR) env.CONFLUX_CACHE_DIR = process.env.CONFLUX_CACHE_DIR;
  const services = join(clone, 'scripts/services/services.sh');
  const stateDir = join(clone, '.services');
  t.teardown(async () => {
    await run('bash', [services, 'down'], { env }).catch(() => undefined);
    const pgDir = `/var/tmp/conflux-postgres-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`;
    await rm(pgDir, { recursive: true, force: true });
    await rm(privateDir, { recursive: true, force: true });
  });

  const { stdout } = await run('bash', [services, 'up'], {
    env,
    timeout: 12 * 60_000,
    maxBuffer: 16 << 20,
  });
  const settings = Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  t.match(
    settings,
    {
      KAFKA_BROKERS: String,
      SCHEMA_REGISTRY_URL: String,
      MONGODB_URI: String,
      DATABASE_URL: String,
    },
    'services up prints every setting',
  );

  const db = new pg.Client({ connectionString: settings.DATABASE_URL });
  await db.connect();
  t.teardown(() => db.end());
  t.same((await db.query('SELECT current_database() AS name')).rows, [{ name: 'warehouse' }], 'PostgreSQL answers');

  const mongo = new MongoClient(settings.MONGODB_URI!, {
    serverSelectionTimeoutMS: 10_000,
  });
  t.teardown(() => mongo.close());
  t.match(await mongo.db('admin').command({ hello: 1 }), { isWritablePrimary: true, setName: 'rs0' }, 'MongoDB answers');

  const admin = new Kafka({
    brokers: settings.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  t.ok(Array.isArray(await admin.listTopics()), 'Kafka answers');

  const registry = await fetch(`${settings.SCHEMA_REGISTRY_URL}/subjects`);
  t.equal(registry.status, 200, 'the Schema Registry answers');
});
