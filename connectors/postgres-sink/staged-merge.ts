import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyRow, type CopyValue } from './copy-text.js';

const ROWS_PER_CHUNK = 2000;

/** Streams rows to COPY in chunks, so a big batch is never one huge string. */
export async function copyRows(client: pg.Client, sql: string, rows: Iterable<string>): Promise<void> {
  function* chunks() {
    let chunk = '';
    let n = 0;
    for (const row of rows) {
      chunk += row;
      if (++n === ROWS_PER_CHUNK) {
        yield chunk;
        chunk = '';
        n = 0;
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

/**
 * How one kind of change is staged and merged into its target table. Every staging table ends
 * with the same three columns, `source_ts_ms`, `source_offset` and `op` (`u` upsert, `d` delete),
 * after `key` and the columns of `stageRow`.
 */
export interface MergeTable<C> {
  /** The temporary staging table (created per connection, ON COMMIT DELETE ROWS). */
  readonly stage: string;
  /** The target, schema-qualified and quoted. */
  readonly target: string;
  /** The target's plain name, as deletes record it in the tombstones table. */
  readonly targetName: string;
  /** The primary key column, in the stage and the target alike. */
  readonly key: string;
  /** Target columns of an upsert, each with the expression over the stage row `s` that fills it. */
  readonly columns: ReadonlyArray<readonly [column: string, expression: string]>;
  /** The stage columns between the key and the position of an upsert of `change`. */
  stageRow(change: C): readonly CopyValue[];
  /** How many stage columns `stageRow` fills: a delete leaves them NULL. */
  readonly stageWidth: number;
  /** Whether the caller needs the keys the merge applied (a dependent table follows). */
  readonly returnApplied: boolean;
}

export interface StagedChange<C> {
  readonly id: string;
  readonly op: 'upsert' | 'delete';
  readonly change: C;
  readonly sourceTsMs: number;
  readonly offset: bigint;
}

export interface MergeOptions {
  /** `upsert`: a newer position replaces the row; `insert`: a row once written is kept. */
  readonly mode: 'upsert' | 'insert';
  readonly deletes: boolean;
  /** Qualified tombstones table. */
  readonly tombstones: string;
}

const NEWER = '(EXCLUDED.source_ts_ms, EXCLUDED.source_offset) > (t.source_ts_ms, t.source_offset)';

/**
 * One table's part of a flush transaction: COPY the changes into the staging table, merge the
 * upserts whose position is newer than the row's and than a recorded delete, and apply the
 * deletes (recording each delete's position, so an older change arriving later cannot bring the
 * row back). Returns the keys the merge wrote (`replaced` when the row existed before) and the
 * keys it deleted, for tables that depend on this one.
 */
export async function mergeStaged<C>(
  client: pg.Client,
  table: MergeTable<C>,
  changes: readonly StagedChange<C>[],
  o: MergeOptions,
): Promise<{ applied: Array<{ key: string; replaced: boolean }>; deleted: string[] }> {
  let hasDeletes = false;
  const blanks: CopyValue[] = new Array<CopyValue>(table.stageWidth).fill(null);
  await copyRows(
    client,
    `COPY ${table.stage} FROM STDIN`,
    (function* () {
      for (const c of changes) {
        if (c.op === 'upsert') yield copyRow([c.id, ...table.stageRow(c.change), c.sourceTsMs, c.offset, 'u']);
        else if (o.deletes) {
          hasDeletes = true;
          yield copyRow([c.id, ...blanks, c.sourceTsMs, c.offset, 'd']);
        }
      }
    })(),
  );
  const columns = table.columns.map(([column]) => column);
  const conflict =
    o.mode === 'upsert'
      ? `DO UPDATE SET ${columns
          .filter((c) => c !== table.key)
          .map((c) => `${c} = EXCLUDED.${c}`)
          .join(', ')} WHERE ${NEWER}`
      : 'DO NOTHING';
  const { rows } = await client.query<{ key: string; replaced: boolean }>(
    `INSERT INTO ${table.target} AS t (${columns.join(', ')})
       SELECT ${table.columns.map(([, expression]) => expression).join(', ')}
         FROM ${table.stage} s
        WHERE s.op = 'u' AND NOT EXISTS (
              SELECT 1 FROM ${o.tombstones} d WHERE d.target_table = $1 AND d.key = s.${table.key}
                 AND (d.source_ts_ms, d.source_offset) >= (s.source_ts_ms, s.source_offset))
     ON CONFLICT (${table.key}) ${conflict}
     ${table.returnApplied ? `RETURNING t.${table.key} AS key, t.xmax <> '0'::xid AS replaced` : ''}`,
    [table.targetName],
  );
  if (!hasDeletes) return { applied: rows, deleted: [] };
  const { rows: gone } = await client.query<{ key: string }>(
    `WITH gone AS (
       DELETE FROM ${table.target} t USING ${table.stage} s
        WHERE s.op = 'd' AND t.${table.key} = s.${table.key} AND (s.source_ts_ms, s.source_offset) > (t.source_ts_ms, t.source_offset)
       RETURNING t.${table.key} AS key),
     recorded AS (
       INSERT INTO ${o.tombstones} AS t (target_table, key, source_ts_ms, source_offset)
       SELECT $1, s.${table.key}, s.source_ts_ms, s.source_offset FROM ${table.stage} s WHERE s.op = 'd'
       ON CONFLICT (target_table, key) DO UPDATE SET source_ts_ms = EXCLUDED.source_ts_ms, source_offset = EXCLUDED.source_offset
       WHERE ${NEWER})
     SELECT key FROM gone`,
    [table.targetName],
  );
  return { applied: rows, deleted: gone.map((r) => r.key) };
}
