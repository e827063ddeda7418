/**
 * A snapshot's progress is on the task's entry of `GET /connectors/:name/status` while the copy
 * runs (documents copied of the estimated total), and gone once the task streams.
 */
import t from 'tap';
import type { Document } from 'mongodb';
import { LogManager } from '../../runtime/observability/logging.js';
import { buildApp } from '../../runtime/rest/index.js';
import { freshDb, mongo, startCapture, waitForOffsets } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName } from '../helpers/services.js';

interface Progress {
  phase: string;
  source: string;
  done: number;
  total?: number;
}
interface Status {
  tasks: Array<{ id: number; state: string; progress?: Progress[] }>;
}

t.test('the status shows the snapshot progress rising while it copies, and none once streaming', async (t) => {
  const TOTAL = 4000;
  const worker = await startWorker(t, tempDir(t));
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }) });
  t.teardown(() => app.close());
  const client = await mongo(t);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  await orders.insertMany(Array.from({ length: TOTAL }, (_, i) => ({ _id: `o-${String(i).padStart(5, '0')}`, n: i })));
  const name = uniqueName('progress');
  // Small chunks sent one at a time: the copy takes many polls, each one a chance to see it.
  const extra = { 'snapshot.chunk.size': '50', 'poll.max.batch.size': '50', 'max.in.flight.batches': '1' };
  const status = async () => (await app.inject(`/connectors/${name}/status`)).json() as Status;

  await startCapture(t, worker, db, ['orders'], extra, { name, waitRunning: false });
  const seen: Progress[] = [];
  let streaming = false;
  const deadline = Date.now() + 180_000;
  while (!streaming) {
    if (Date.now() > deadline) throw new Error(`the snapshot did not end; seen ${JSON.stringify(seen.slice(-3))}`);
    const task = (await status()).tasks[0];
    const entry = task?.progress?.[0];
    if (entry && entry.done !== seen.at(-1)?.done) seen.push(entry);
    const [stored] = await worker.offsets(name);
    streaming = typeof stored?.offset?.resume_token === 'string';
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  t.ok(seen.length >= 2, `progress seen at ${seen.length} different points (${seen.map((p) => p.done).join(', ')})`);
  t.ok(
    seen.some((p) => p.done > 0 && p.done < TOTAL),
    'seen part-way through the copy',
  );
  t.same(
    new Set(seen.map((p) => `${p.phase} ${p.source} of ${p.total}`)),
    new Set([`snapshot ${db.databaseName}.orders of ${TOTAL}`]),
    'names the phase, the collection and the estimated total',
  );
  t.ok(
    seen.every((p, i) => i === 0 || p.done > seen[i - 1]!.done),
    'the documents copied only rise',
  );

  const after = await waitForOffsets(worker, name, (o) => typeof o[0]?.offset?.resume_token === 'string');
  t.ok(after, 'the task streams');
  const task = (await status()).tasks[0]!;
  t.equal(task.state, 'RUNNING');
  t.notOk('progress' in task, 'no progress once the snapshot is done');
  t.same(Object.keys(task).sort(), ['id', 'state', 'worker_id'], "Kafka Connect's shape otherwise");
});
