import pg from 'pg';
import { isIdentifier } from '../../connectors/postgres-sink/identifiers.js';
import { migrate } from '../../connectors/postgres-sink/migrate.js';
import { ConfigError } from '../../runtime/api/index.js';

export interface WarehouseMigrateOptions {
  /** postgres:// connection string; the password may come from PGPASSWORD instead. */
  readonly databaseUrl: string | undefined;
  readonly schema: string;
}

/** `conflux warehouse migrate`: applies the pending `sql/` migrations and prints what it did. */
export async function warehouseMigrate(o: WarehouseMigrateOptions, out: (line: string) => void): Promise<number> {
  if (!o.databaseUrl) throw new ConfigError([{ key: 'database-url', message: 'give --database-url or set DATABASE_URL' }]);
  if (!isIdentifier(o.schema)) throw new ConfigError([{ key: 'schema', message: 'must be a plain identifier (letters, digits, underscores)' }]);
  const client = new pg.Client({ connectionString: o.databaseUrl });
  await client.connect();
  try {
    const result = await migrate(client, o.schema);
    for (const name of result.applied) out(`applied ${name}`);
    out(`schema ${o.schema} is at version ${result.version}${result.applied.length === 0 ? ' (nothing to do)' : ''}`);
    return 0;
  } finally {
    await client.end();
  }
}
