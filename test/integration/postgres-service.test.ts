/**
 * The PostgreSQL test service is locked down for a shared machine: the conflux role's password is
 * generated (kept in a 0600 file of the state dir, which `services.sh env` prints in
 * DATABASE_URL), every role but the superuser logs in by password, also over the socket, and the
 * socket's directory and the socket itself are the cluster's user's alone.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import t from 'tap';
import { services } from '../helpers/services.js';

const url = new URL(services().databaseUrl);
const stateDir = process.env.CONFLUX_STATE_DIR ?? fileURLToPath(new URL('../../.services', import.meta.url));

/** Where scripts/services/postgres.sh keeps the socket (pg_dir): in the state dir, or as root under /var/tmp. */
async function socketDirectory(): Promise<string> {
  const candidates = [
    process.env.CONFLUX_POSTGRES_DIR,
    join(stateDir, 'postgres'),
    `/var/tmp/conflux-postgres-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`,
  ];
  for (const dir of candidates) {
    if (!dir) continue;
    const found = await stat(join(dir, 'run')).then(
      () => true,
      () => false,
    );
    if (found) return join(dir, 'run');
  }
  throw new Error(`no PostgreSQL socket directory in ${candidates.filter(Boolean).join(', ')}`);
}

async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}

t.test('the conflux role has a generated password, in a file only its owner reads', async (t) => {
  const password = decodeURIComponent(url.password);
  t.not(password, 'conflux', 'not the fixed password of old');
  t.ok(password.length >= 16, 'long enough not to be guessed');
  if (process.env.CONFLUX_POSTGRES_PASSWORD) return;
  const file = join(stateDir, 'postgres-password');
  t.equal((await stat(file)).mode & 0o777, 0o600, `${file} is 0600`);
});

t.test('a wrong password is refused over TCP and over the socket; the role is no superuser', async (t) => {
  const base = { port: Number(url.port), user: decodeURIComponent(url.username), database: url.pathname.slice(1) };
  const client = await connect({ ...base, host: url.hostname, password: decodeURIComponent(url.password) });
  t.teardown(() => client.end());
  const { rows } = await client.query<{ rolsuper: boolean; perms: string }>(
    "SELECT rolsuper, current_setting('unix_socket_permissions') AS perms FROM pg_roles WHERE rolname = current_user",
  );
  const [row] = rows;
  t.equal(row!.rolsuper, false, 'the role the tests and the demo use is no superuser');
  t.equal(row!.perms, '0700', 'the socket is its owner’s only');
  const socketDir = await socketDirectory();
  t.equal((await stat(socketDir)).mode & 0o777, 0o700, `${socketDir} is 0700`);

  for (const [how, host] of [
    ['TCP', url.hostname],
    ['the socket', socketDir],
  ] as const) {
    const refused = await connect({ ...base, host, password: 'not-the-password' }).then(
      async (c) => {
        await c.end();
        return undefined;
      },
      (err: { code?: string }) => err,
    );
    t.equal(refused?.code, '28P01', `${how}: password authentication failed (no trust)`);
  }
});
