import pg from 'pg';
import type { SinkOffset, SinkOffsetsStore } from '../../runtime/api/index.js';
import type { PostgresSinkConfig } from './config.js';
import { clientConfig } from './connection.js';
import { quoteIdent } from './identifiers.js';
import { classifyPgError } from './pg-errors.js';

async function withClient<T>(config: PostgresSinkConfig, connector: string, what: string, fn: (client: pg.Client, table: string) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(config, connector));
  try {
    await client.connect();
    return await fn(client, `${quoteIdent(config['warehouse.schema'])}.conflux_sink_offsets`);
  } catch (err) {
    throw classifyPgError(err, what);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The sink's offsets in conflux_sink_offsets, where its tasks store them with the rows and find
 * them on every assignment: what the offsets endpoints show and change. An operator's rewind
 * (to reprocess after a fix, with reprocess.epoch raised) is written as given, backwards too.
 */
export const postgresOffsets: SinkOffsetsStore<PostgresSinkConfig> = {
  read: (config, connector, topics) =>
    withClient(config, connector, 'reading the stored offsets', async (client, table) => {
      const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset::text FROM ${table} WHERE connector = $1 AND topic = ANY($2::text[]) ORDER BY topic, partition`,
        [connector, [...topics]],
      );
      return rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.next_offset }));
    }),
  alter: (config, connector, offsets: readonly SinkOffset[]) =>
    withClient(config, connector, 'changing the stored offsets', async (client, table) => {
      await client.query('BEGIN');
      for (const o of offsets) {
        if (o.offset === null) {
          await client.query(`DELETE FROM ${table} WHERE connector = $1 AND topic = $2 AND partition = $3`, [connector, o.topic, o.partition]);
        } else {
          await client.query(
            `INSERT INTO ${table} (connector, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
             ON CONFLICT (connector, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
            [connector, o.topic, o.partition, o.offset],
          );
        }
      }
      await client.query('COMMIT');
    }),
  reset: (config, connector) =>
    withClient(config, connector, 'removing the stored offsets', async (client, table) => {
      await client.query(`DELETE FROM ${table} WHERE connector = $1`, [connector]);
    }),
};
