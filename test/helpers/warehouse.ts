import pg from 'pg';
import type { Test } from 'tap';
import { services, uniqueName } from './services.js';

/** A PostgreSQL schema unique to this test, dropped (with everything in it) at teardown. */
export async function uniqueSchema(t: Test, prefix = 'wh'): Promise<{ schema: string; client: pg.Client }> {
  const client = new pg.Client({ connectionString: services().databaseUrl });
  await client.connect();
  const schema = uniqueName(prefix).replace(/-/g, '_').toLowerCase();
  t.teardown(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client.end();
  });
  return { schema, client };
}
