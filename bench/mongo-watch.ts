/**
 * npm run bench:mongo-watch [-- --documents N]
 *
 * How fast a bare change-stream reader (`collection.watch()`, no runtime) gets events from the MongoDB server
 * in MONGODB_URI while the history grows: a writer inserts N documents (default 100k) in batches of 1000 while a
 * reader follows live; then a second reader catches up on the whole history from the first write. Each prints
 * events/s over its first and last 10k events: on a server whose reads cost O(events returned) the two match;
 * on one that rescans its history they fall apart as it grows. The live figure cannot exceed what the writer
 * achieves, so the writer's rate is printed beside it.
 */
import { parseArgs } from 'node:util';
import { MongoClient, type ChangeStream, type Timestamp } from 'mongodb';

const { values: args } = parseArgs({
  options: { documents: { type: 'string', default: '100000' } },
});
const N = Number(args.documents);
const WINDOW = 10_000;
const BATCH = 1000;
if (!Number.isInteger(N) || N < 2 * WINDOW) throw new Error(`--documents must be an integer of at least ${2 * WINDOW}`);
const uri = process.env.MONGODB_URI;
if (!uri) throw new Error("MONGODB_URI is not set: export the settings of 'npm run services -- env'");

interface Window {
  first: number; // events/s over events 1..WINDOW
  last: number; // events/s over the last WINDOW events
  firstTime: Timestamp; // cluster time of the first event
}

/** Reads `count` events and the time each 10k-th arrived. */
async function read(stream: ChangeStream, count: number, started: number): Promise<Window> {
  let firstWindowEnd = 0;
  let lastWindowStart = 0;
  let end = 0;
  let n = 0;
  let firstTime: Timestamp | undefined;
  for await (const event of stream) {
    if (event.operationType !== 'insert') continue;
    firstTime ??= event.clusterTime;
    n += 1;
    if (n === WINDOW) firstWindowEnd = performance.now();
    if (n === count - WINDOW) lastWindowStart = performance.now();
    if (n === count) end = performance.now();
    if (n === count) break;
  }
  return {
    first: WINDOW / ((firstWindowEnd - started) / 1000),
    last: WINDOW / ((end - lastWindowStart) / 1000),
    firstTime: firstTime!,
  };
}

const client = new MongoClient(uri);
await client.connect();
const db = client.db(`bench-watch-${process.pid}`);
const docs = db.collection<{
  _id: number;
  status: string;
  total: number;
  items: string[];
}>('orders');
try {
  await db.createCollection('orders');
  const live = docs.watch([], { maxAwaitTimeMS: 500 });
  await live.tryNext(); // the cursor is open before the first write

  const writeStart = performance.now();
  let writerAt10k = 0;
  let writerLast10kStart = 0;
  const writer = (async () => {
    for (let i = 0; i < N; i += BATCH) {
      if (i === N - WINDOW) writerLast10kStart = performance.now();
      await docs.insertMany(
        Array.from({ length: BATCH }, (_, j) => ({
          _id: i + j,
          status: 'new',
          total: i + j,
          items: ['a', 'b'],
        })),
      );
      if (i + BATCH === WINDOW) writerAt10k = performance.now();
    }
    return performance.now();
  })();
  const liveRead = await read(live, N, writeStart);
  const writeEnd = await writer;
  await live.close();

  const catchUp = docs.watch([], { startAtOperationTime: liveRead.firstTime });
  const catchUpStart = performance.now();
  const caught = await read(catchUp, N, catchUpStart);
  await catchUp.close();

  const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en-US');
  const writer10k = {
    first: rate(WINDOW, writerAt10k - writeStart),
    last: rate(WINDOW, writeEnd - writerLast10kStart),
  };
  console.log(`bare watch() reader, ${N.toLocaleString('en-US')} inserts in batches of ${BATCH}, server ${uri}`);
  console.table({
    'live reader (events/s)': {
      'first 10k': rate(WINDOW, (WINDOW / liveRead.first) * 1000),
      'last 10k': rate(WINDOW, (WINDOW / liveRead.last) * 1000),
    },
    'writer (documents/s)': {
      'first 10k': writer10k.first,
      'last 10k': writer10k.last,
    },
    'catch-up reader (events/s)': {
      'first 10k': rate(WINDOW, (WINDOW / caught.first) * 1000),
      'last 10k': rate(WINDOW, (WINDOW / caught.last) * 1000),
    },
  });
} finally {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
}
