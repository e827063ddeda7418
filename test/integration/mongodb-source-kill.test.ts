/**
 * A worker process killed with SIGKILL during a snapshot (no graceful stop: nothing drains, nothing
 * is committed on the way out) continues the copy after its last stored chunk when it runs again,
 * and the copy plus the stream still yield every document, also the writes made while it was dead.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from 'mongodb';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { kafka } from '../fixtures/kafka.js';
import { tempDir } from '../fixtures/worker.js';
import { freePort, startMongoTestServer } from '../helpers/mongo-test-server.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const cli = fileURLToPath(new URL('../../bin/conflux.js', import.meta.url));

interface Seen {
  offset: number;
  key: string;
  op: string;
  after: string | null;
}
interface StoredOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

const docs = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ _id: `${prefix}-${String(from + i).padStart(6, '0')}`, n: from + i, v: 0 }));

/** `conflux standalone` as a child process; its output is kept to explain a failure. */
function startProcess(t: Test, workerFile: string, connectorFile: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cli, 'standalone', '--worker', workerFile, connectorFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text = (text + b.toString()).slice(-20_000)));
  child.stderr!.on('data', (b: Buffer) => (text = (text + b.toString()).slice(-20_000)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => text };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

t.test('SIGKILL during a snapshot of 20k documents: the copy continues from its last stored chunk and every document arrives', async (t) => {
  const TOTAL = 20_000;
  const CHUNK = 500;
  // 20k documents get a test server of their own (its heap is shared by every test); a real replica set is used as it is.
  const uri = services().mongoTestServer ? await startMongoTestServer(t, {}) : services().mongoUri;
  const client = await mongo(t, uri);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  for (let i = 0; i < TOTAL; i += 5000) await orders.insertMany(docs('o', 5000, i));

  const dir = tempDir(t);
  const port = await freePort();
  const name = uniqueName('killed');
  const topic = `${name}-orders`;
  const workerFile = join(dir, 'worker.json');
  const connectorFile = join(dir, 'connector.json');
  writeFileSync(
    workerFile,
    JSON.stringify({
      'bootstrap.servers': services().kafkaBrokers.join(','),
      'schema.registry.url': services().schemaRegistryUrl,
      'state.dir': join(dir, 'state'),
      'offset.storage.file.filename': join(dir, 'state', 'offsets.json'),
      'rest.port': port,
    }),
  );
  writeFileSync(
    connectorFile,
    JSON.stringify({
      name,
      config: {
        'connector.class': 'mongodb-source',
        'connection.uri': uri,
        database: db.databaseName,
        collections: 'orders',
        'topic.map': `orders:${topic}`,
        'topic.partitions': '1',
        'value.converter': 'json',
        'snapshot.chunk.size': String(CHUNK),
        'poll.max.batch.size': String(CHUNK),
        'max.in.flight.batches': '2',
        'poll.await.time.ms': '200',
        'offset.flush.interval.ms': '300',
      },
    }),
  );
  const storedOffset = async (): Promise<Record<string, unknown> | undefined> => {
    const res = await fetch(`http://127.0.0.1:${port}/connectors/${name}/offsets`);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { offsets: StoredOffset[] };
    return body.offsets[0]?.offset ?? undefined;
  };

  // Everything the topic holds, read as it arrives, with its Kafka offset.
  const seen: Seen[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('kill-reader') });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());

  const first = startProcess(t, workerFile, connectorFile);
  const firstStored = await waitFor(
    'a stored snapshot position past 4000 documents',
    async () => {
      if (first.child.exitCode !== null) throw new Error(`the worker exited: ${first.output()}`);
      const offset = await storedOffset().catch(() => undefined);
      return offset?.snapshot === 'running' && Number(offset.copied) >= 4000 ? offset : undefined;
    },
    180_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${first.output()}`);
  });
  first.child.kill('SIGKILL');
  await exited(first.child);
  t.equal(first.child.signalCode, 'SIGKILL', 'the worker was killed, not stopped');
  t.ok(Number(firstStored.copied) < TOTAL, `killed during the copy (${String(firstStored.copied)} copied when last seen)`);

  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      // A null value is the tombstone after a delete.
      const value = message.value === null ? { op: 'tombstone', after: null } : (JSON.parse(message.value.toString()) as { op: string; after: string | null });
      seen.push({ offset: Number(message.offset), key: message.key!.toString(), op: value.op, after: value.after });
    },
  });
  const endAtKill = await topicEnd(topic);
  await waitFor('the records of the killed worker', () => (seen.length >= endAtKill ? true : undefined), 60_000);

  // What the killed worker left stored is where the next one continues.
  const store = new FileOffsetStore(join(dir, 'state', 'offsets.json'));
  await store.start();
  const stored = (await store.getAll(name))[0]?.offset as Record<string, unknown>;
  t.equal(stored?.snapshot, 'running', 'a snapshot position is stored');
  const storedCopied = Number(stored.copied);
  const lastId = (JSON.parse(String(stored.last_id)) as { v: string }).v;
  const readsBeforeKill = seen.filter((s) => s.op === 'r').length;
  t.ok(storedCopied > 0, `the kill left ${storedCopied} copied documents stored`);
  t.ok(readsBeforeKill >= storedCopied, `every stored chunk is in Kafka (${readsBeforeKill} op r records, ${storedCopied} stored)`);

  // Writes while the worker is dead: before and after the copy's stored position, and a new document.
  await orders.updateOne({ _id: 'o-000010' }, { $set: { v: 1 } });
  await orders.updateOne({ _id: 'o-019990' }, { $set: { v: 1 } });
  await orders.deleteOne({ _id: 'o-000020' });
  await orders.insertOne({ _id: 'o-new-1', n: -1, v: 0 });
  const toCopyAfterRestart = await orders.countDocuments({ _id: { $gt: lastId } });

  const second = startProcess(t, workerFile, connectorFile);
  await waitFor(
    'the restarted worker streaming',
    async () => {
      if (second.child.exitCode !== null) throw new Error(`the worker exited: ${second.output()}`);
      const offset = await storedOffset().catch(() => undefined);
      return typeof offset?.resume_token === 'string' ? true : undefined;
    },
    240_000,
  );
  await orders.insertOne({ _id: 'o-new-2', n: -2, v: 0 });
  await orders.updateOne({ _id: 'o-000030' }, { $set: { v: 2 } });
  await waitFor('the changes made after the restart', () => (seen.some((s) => s.key === 'o-000030' && s.op === 'u') ? true : undefined), 120_000);

  const afterRestart = seen.filter((s) => s.offset >= endAtKill);
  const readsAfterRestart = afterRestart.filter((s) => s.op === 'r');
  t.equal(
    readsAfterRestart.length,
    toCopyAfterRestart,
    `the copy continued after the stored _id ${lastId}: ${readsAfterRestart.length} op r records, the documents after it`,
  );
  t.ok(
    readsAfterRestart.every((s) => s.key > lastId),
    'nothing at or before the stored position was copied again',
  );
  const duplicates = readsBeforeKill - storedCopied;
  t.ok(duplicates <= 10 * CHUNK, `copied twice: ${duplicates} documents, those acknowledged but not yet stored when killed`);

  // Every document as it is now: the latest record of each key is the current document, or a delete.
  const latest = new Map<string, Seen>();
  for (const s of seen) if (s.op !== 'tombstone') latest.set(s.key, s);
  const current = await orders.find({}).toArray();
  const stale = current.filter((d) => {
    const last = latest.get(d._id);
    return !last?.after || (JSON.parse(last.after) as { v: { $numberInt: string } }).v.$numberInt !== String(d.v);
  });
  t.same(
    stale.map((d) => d._id),
    [],
    `every one of ${current.length} documents arrived as it is now`,
  );
  t.equal(latest.get('o-000020')?.op, 'd', 'the delete made while the worker was dead arrived');
  t.ok(
    seen.some((s) => s.key === 'o-000020' && s.op === 'tombstone'),
    'followed by its tombstone',
  );
  t.ok(latest.get('o-new-1'), 'the insert made while the worker was dead arrived');

  second.child.kill('SIGTERM');
  await exited(second.child);
});

async function topicEnd(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [p] = await admin.fetchTopicOffsets(topic);
    return Number(p!.high);
  } finally {
    await admin.disconnect();
  }
}
