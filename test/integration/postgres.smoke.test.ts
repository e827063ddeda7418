import t from 'tap';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { services, uniqueName } from '../helpers/services.js';

const { databaseUrl } = services();

t.test('postgres: COPY rows in with pg-copy-streams and read them back', async (t) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL at ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} is not reachable: ${err.message}`);
  });
  t.teardown(() => client.end());
  const table = uniqueName('smoke').replace(/-/g, '_');
  await client.query(`CREATE TABLE ${table} (id text PRIMARY KEY, total numeric(12,2), note text)`);
  t.teardown(() => client.query(`DROP TABLE IF EXISTS ${table}`));

  const rows = Array.from({ length: 1000 }, (_, i) => `o-${i}\t${(i * 1.25).toFixed(2)}\t${i % 7 === 0 ? '\\N' : `note ${i}`}\n`);
  await pipeline(Readable.from(rows), client.query(copyFrom(`COPY ${table} (id, total, note) FROM STDIN`)));

  const { rows: summary } = await client.query(`SELECT count(*)::int AS n, sum(total)::text AS total, count(note)::int AS notes FROM ${table}`);
  const expectedTotal = Array.from({ length: 1000 }, (_, i) => i * 1.25).reduce((a, b) => a + b, 0);
  t.equal(summary[0].n, 1000, 'every row arrived');
  t.equal(Number(summary[0].total), expectedTotal, 'values arrived intact');
  t.equal(summary[0].notes, 1000 - Math.ceil(1000 / 7), 'NULLs arrived as NULL');
});
