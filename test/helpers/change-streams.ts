/**
 * Helpers for the change-stream conformance suite (test/integration/mongo-change-streams/). They only use what
 * MongoDB documents, so the suite runs unchanged against a real replica set.
 */
import type { Test } from 'tap';
import { MongoClient, type ChangeStream, type ChangeStreamDocument, type Collection, type Document } from 'mongodb';
import { services, uniqueName } from './services.js';

export const { mongoUri, mongoTestServer } = services();

/** Documents of the suite: string ids, to read events easily. */
export interface Doc extends Document {
  _id: string;
}

export async function connect(t: Test, uri = mongoUri): Promise<MongoClient> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  await client.connect().catch((err: Error) => {
    throw new Error(`MongoDB server at ${uri} is not reachable: ${err.message}`);
  });
  t.teardown(() => client.close());
  return client;
}

/** A collection in a database of its own, created (MongoDB streams need no collection, but drops do). */
export async function freshCollection<T extends Doc = Doc>(t: Test, client: MongoClient, name = 'orders'): Promise<Collection<T>> {
  const db = client.db(uniqueName('cs'));
  await db.createCollection(name);
  t.teardown(() => db.dropDatabase().catch(() => undefined));
  return db.collection<T>(name);
}

/**
 * Opens a change stream. Without a resume option it also waits until the server has opened the cursor (one
 * empty tryNext()), so that every write made after this returns is seen; a resumed stream's position is its
 * token, and its first events must not be consumed here.
 */
export async function openStream<T extends Document>(
  t: Test,
  target: { watch(pipeline?: Document[], options?: Document): ChangeStream<T> },
  pipeline: Document[] = [],
  options: Document = {},
): Promise<ChangeStream<T>> {
  const stream = target.watch(pipeline, { maxAwaitTimeMS: 300, ...options });
  t.teardown(() => stream.close());
  const resumed = 'resumeAfter' in options || 'startAfter' in options || 'startAtOperationTime' in options;
  if (!resumed) {
    const early = await stream.tryNext();
    if (early) throw new Error(`a new change stream returned an event before any write: ${JSON.stringify(early)}`);
  }
  return stream;
}

/** The next `count` events; fails after `timeoutMs`. */
export async function nextEvents<T extends Document>(stream: ChangeStream<T>, count: number, timeoutMs = 30_000): Promise<ChangeStreamDocument<T>[]> {
  const events: ChangeStreamDocument<T>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${count} change events; got ${JSON.stringify(events.map((e) => e.operationType))}`);
    }
    const event = await stream.tryNext();
    if (event) events.push(event);
  }
  return events;
}

/**
 * Every event up to (not including) the insert of a marker document written after the operations under test:
 * what the stream emitted for them, exactly, without waiting for a quiet period.
 */
export async function eventsUntilMarker<T extends Document>(stream: ChangeStream<T>, collection: Collection<Doc>): Promise<ChangeStreamDocument<T>[]> {
  const marker = uniqueName('marker');
  await collection.insertOne({ _id: marker });
  const events: ChangeStreamDocument<T>[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the marker; got ${JSON.stringify(events.map((e) => e.operationType))}`);
    const event = await stream.tryNext();
    if (!event) continue;
    if (event.operationType === 'insert' && (event.documentKey._id as unknown) === marker) return events;
    events.push(event);
  }
}

/**
 * Every event of a (filtered) stream up to the position `token` (the _id of an event seen on an unfiltered
 * stream): the stream's resume token passes it even when the pipeline filtered that event out, because the
 * driver keeps the postBatchResumeToken. Resume tokens of one deployment compare as hex strings.
 */
export async function eventsUntilToken<T extends Document>(stream: ChangeStream<T>, token: unknown): Promise<ChangeStreamDocument<T>[]> {
  const target = (token as { _data: string })._data;
  const events: ChangeStreamDocument<T>[] = [];
  const deadline = Date.now() + 30_000;
  while (!stream.resumeToken || (stream.resumeToken as { _data: string })._data < target) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for position ${target}; got ${JSON.stringify(events.map((e) => e.operationType))}`);
    const event = await stream.tryNext();
    if (event && (event._id as { _data: string })._data <= target) events.push(event);
  }
  return events;
}

/** A short summary of an event, for comparing sequences: "insert o-1". */
export function summary(event: ChangeStreamDocument): string {
  const id = 'documentKey' in event ? String((event.documentKey as { _id: unknown })._id) : '';
  return `${event.operationType}${id ? ` ${id}` : ''}`;
}
