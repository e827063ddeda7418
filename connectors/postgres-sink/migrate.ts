import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import { quoteIdent } from './identifiers.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call, in order. */
  readonly applied: readonly string[];
  /** The highest version now in the schema. */
  readonly version: number;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** `sql/` of the repository, from the sources or from a build in `dist/`. */
function sqlDir(): URL {
  for (const rel of ['../../sql/', '../../../sql/']) {
    const dir = new URL(rel, import.meta.url);
    if (existsSync(dir)) return dir;
  }
  throw new Error('the warehouse migrations (sql/) were not found next to the connector');
}

/** The migrations in `dir`, ordered by their 4-digit version prefix. */
export function loadMigrations(dir: URL = sqlDir()): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = FILE.exec(file);
      if (!m) throw new Error(`migration file ${file} is not named NNNN_name.sql`);
      const sql = readFileSync(new URL(file, dir), 'utf8');
      return { version: Number(m[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new Error(`two migrations have version ${migrations[i]!.version}`);
  }
  return migrations;
}

/**
 * Brings the warehouse schema `schema` (created if missing) up to date: applies, in version order,
 * every migration not yet recorded in `<schema>.conflux_migrations`, all in one transaction under
 * an advisory lock, so that two tasks or a task and the CLI starting together apply each migration
 * once. A recorded migration whose file changed since is an error: migrations are append-only.
 */
export async function migrate(client: pg.ClientBase, schema: string, migrations: readonly Migration[] = loadMigrations()): Promise<MigrateResult> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`conflux_migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`SET LOCAL search_path TO ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS conflux_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM conflux_migrations');
    const done = new Map(rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const m of migrations) {
      const recorded = done.get(m.version);
      if (recorded) {
        if (recorded.checksum !== m.checksum) {
          throw new Error(
            `migration ${m.name} was changed after it was applied to schema ${schema} (recorded as ${recorded.name}); add a new migration instead`,
          );
        }
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO conflux_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push(m.name);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(0, ...migrations.map((m) => m.version), ...done.keys()) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
