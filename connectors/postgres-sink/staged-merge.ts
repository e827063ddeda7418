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
 * How one kind of change is staged and merged into its target table. Every staging table has the
 * key, then the columns of `stageRow`, then the position and the operation: `source_ts_ms`,
 * `source_seq`, `source_offset`, `epoch`, `op` (`u` upsert, `d` delete, `r` a rejected version) and
 * `rule` (why a version was rejected).
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
  /** Target columns of an upsert, each with the expression over the stage row `s` that fills it (the position columns are added). */
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
  readonly op: 'upsert' | 'delete' | 'reject';
  readonly change: C;
  readonly sourceTsMs: number;
  readonly sourceSeq: number;
  readonly offset: bigint;
  /** For a rejected version: its reason. */
  readonly rule?: string;
}

export interface MergeOptions {
  /** `upsert`: a newer position replaces the row; `insert`: a row once written is kept. */
  readonly mode: 'upsert' | 'insert';
  /** What a rejected newer version does to the row of an older one: delete it, or keep it marked. */
  readonly rejected: 'delete' | 'keep';
  /** The reprocess epoch: at an equal position, a change of a higher epoch is applied again. */
  readonly epoch: number;
  /** Qualified tombstones table. */
  readonly tombstones: string;
}

/** The position of a row of `a` (a stage row, a target or tombstone row, EXCLUDED). */
const POSITION = (a: string) => `(${a}.source_ts_ms, ${a}.source_seq, ${a}.source_offset)`;
/** A change of `a` replaces the row `b` when it is at a later position, or at the same one in a later reprocess epoch. */
const newer = (a: string, b: string) =>
  `(${a}.source_ts_ms, ${a}.source_seq, ${a}.source_offset, ${a}.epoch) > (${b}.source_ts_ms, ${b}.source_seq, ${b}.source_offset, ${b}.epoch)`;
const NEWER_THAN_ROW = newer('s', 't');
const POSITION_COLUMNS = ['source_ts_ms', 'source_seq', 'source_offset', 'epoch'] as const;

/**
 * One table's part of a flush transaction: COPY the changes into the staging table, apply the
 * deletes (and rejected versions under policy delete) that are newer than the row, recording each
 * position so that an older change arriving later cannot bring the row back; merge the upserts
 * that are newer than the row and than a recorded delete; then mark the rows whose newer version
 * was rejected (policy keep). Returns the keys the merge wrote (`replaced` when the
 * row existed before) and the keys it deleted, for tables that depend on this one.
 */
export async function mergeStaged<C>(
  client: pg.Client,
  table: MergeTable<C>,
  changes: readonly StagedChange<C>[],
  o: MergeOptions,
): Promise<{ applied: Array<{ key: string; replaced: boolean }>; deleted: string[] }> {
  let removals = 0;
  let marks = 0;
  const blanks: CopyValue[] = new Array<CopyValue>(table.stageWidth).fill(null);
  // A flush that is split to find a bad record merges several times in one transaction.
  await client.query(`TRUNCATE ${table.stage}`);
  await copyRows(
    client,
    `COPY ${table.stage} FROM STDIN`,
    (function* () {
      for (const c of changes) {
        const position = [c.sourceTsMs, c.sourceSeq, c.offset, o.epoch];
        if (c.op === 'upsert') yield copyRow([c.id, ...table.stageRow(c.change), ...position, 'u', null]);
        else {
          const op = c.op === 'delete' || o.rejected === 'delete' ? 'd' : 'r';
          if (op === 'd') removals++;
          else marks++;
          yield copyRow([c.id, ...blanks, ...position, op, c.rule ?? null]);
        }
      }
    })(),
  );
  let deleted: string[] = [];
  if (removals > 0) {
    const { rows: gone } = await client.query<{ key: string }>(
      `WITH gone AS (
         DELETE FROM ${table.target} t USING ${table.stage} s
          WHERE s.op = 'd' AND t.${table.key} = s.${table.key} AND ${NEWER_THAN_ROW}
         RETURNING t.${table.key} AS key),
       recorded AS (
         INSERT INTO ${o.tombstones} AS t (target_table, key, source_ts_ms, source_seq, source_offset)
         SELECT $1, s.${table.key}, s.source_ts_ms, s.source_seq, s.source_offset FROM ${table.stage} s WHERE s.op = 'd'
         ON CONFLICT (target_table, key) DO UPDATE SET source_ts_ms = EXCLUDED.source_ts_ms, source_seq = EXCLUDED.source_seq, source_offset = EXCLUDED.source_offset
         WHERE ${POSITION('EXCLUDED')} > ${POSITION('t')})
       SELECT key FROM gone`,
      [table.targetName],
    );
    deleted = gone.map((r) => r.key);
  }
  const columns = [...table.columns.map(([column]) => column), ...POSITION_COLUMNS, 'rejected_at', 'rejected_rule'];
  const expressions = [...table.columns.map(([, expression]) => expression), ...POSITION_COLUMNS.map((c) => `s.${c}`), 'NULL', 'NULL'];
  const conflict =
    o.mode === 'upsert'
      ? `DO UPDATE SET ${columns
          .filter((c) => c !== table.key)
          .map((c) => `${c} = EXCLUDED.${c}`)
          .join(', ')} WHERE ${newer('EXCLUDED', 't')}`
      : 'DO NOTHING';
  const { rows } = await client.query<{ key: string; replaced: boolean }>(
    `INSERT INTO ${table.target} AS t (${columns.join(', ')})
       SELECT ${expressions.join(', ')}
         FROM ${table.stage} s
        WHERE s.op = 'u' AND NOT EXISTS (
              SELECT 1 FROM ${o.tombstones} d WHERE d.target_table = $1 AND d.key = s.${table.key}
                 AND ${POSITION('d')} >= ${POSITION('s')})
     ON CONFLICT (${table.key}) ${conflict}
     ${table.returnApplied ? `RETURNING t.${table.key} AS key, t.xmax <> '0'::xid AS replaced` : ''}`,
    [table.targetName],
  );
  // After the upserts: a rejected version marks the row an older version (of this flush too) left.
  if (marks > 0) {
    // rejected.version.policy=keep: the row stays, marked, at the rejected version's position.
    await client.query(
      `UPDATE ${table.target} t SET rejected_at = now(), rejected_rule = s.rule,
              ${POSITION_COLUMNS.map((c) => `${c} = s.${c}`).join(', ')}
         FROM ${table.stage} s WHERE s.op = 'r' AND t.${table.key} = s.${table.key} AND ${NEWER_THAN_ROW}`,
    );
  }
  return { applied: rows, deleted };
}
