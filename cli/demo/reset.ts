import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { rm } from 'node:fs/promises';
import { quoteIdent } from '../../connectors/postgres-sink/identifiers.js';
import { delay } from '../../runtime/support/abortable.js';
import type { PipelineLayout } from './layout.js';

const TABLES = ['fact_orders', 'fact_order_items', 'dim_customers', 'conflux_sink_tombstones'];

/**
 * Empties everything downstream of MongoDB: the pipeline's topics, its sinks' consumer groups and
 * stored positions, the warehouse tables and the worker's source offsets. Run before the worker
 * starts, when MongoDB is empty (a first run, or a test server that was restarted and lost its
 * data), so that what is left from an earlier run cannot disagree with MongoDB.
 */
export async function resetDownstream(io: { admin: Admin; pg: pg.ClientBase }, layout: PipelineLayout, stateDir: string): Promise<void> {
  const topics = [...layout.topics.data, ...layout.topics.deadLetter];
  const existing = new Set(await io.admin.listTopics());
  const doomed = topics.filter((t) => existing.has(t));
  if (doomed.length > 0) {
    await io.admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    // Deletion finishes in the background; creating a topic of the same name before it did fails.
    const deadline = Date.now() + 60_000;
    while ((await io.admin.listTopics()).some((t) => doomed.includes(t))) {
      if (Date.now() > deadline) throw new Error(`Kafka did not finish deleting ${doomed.join(', ')} within 60 s`);
      await delay(500, new AbortController().signal);
    }
  }
  const groups = Object.keys(layout.topics.sinks).map((name) => `connect-${name}`);
  const known = new Set((await io.admin.listGroups()).groups.map((g) => g.groupId));
  const stale = groups.filter((g) => known.has(g));
  if (stale.length > 0) await io.admin.deleteGroups(stale);
  const s = quoteIdent(layout.schema);
  await io.pg.query(`TRUNCATE ${TABLES.map((t) => `${s}.${t}`).join(', ')}`);
  await io.pg.query(`DELETE FROM ${s}.conflux_sink_offsets WHERE connector = ANY($1::text[])`, [Object.keys(layout.topics.sinks)]);
  await rm(stateDir, { recursive: true, force: true });
}
