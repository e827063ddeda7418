import type pg from 'pg';
import type { PostgresSinkConfig } from './config.js';

/** The pg client settings of a sink's config: connection.url, or the host/port/database/user/password keys. */
export function clientConfig(c: PostgresSinkConfig, connector: string): pg.ClientConfig {
  const application_name = `conflux:${connector}`;
  if (c['connection.url']) return { connectionString: c['connection.url'], application_name };
  return {
    host: c['connection.host'],
    port: c['connection.port'],
    database: c['connection.database'],
    user: c['connection.user'],
    ...(c['connection.password'] !== undefined ? { password: c['connection.password'] } : {}),
    application_name,
  };
}
