/**
 * Change-stream conformance: bounded history. MongoDB's oplog is a capped collection; resuming from a point it
 * no longer holds fails with ChangeStreamHistoryLost (code 286). On a real replica set the oplog holds far more
 * than a test writes, so these assertions run only against the test server, started here a second time with
 * a history of a few changes (CONFLUX_MONGO_OPLOG_MAX_ENTRIES).
 */
import t from 'tap';
import type { Timestamp } from 'mongodb';
import { connect, eventsUntilMarker, freshCollection, mongoTestServer, nextEvents, openStream, summary } from '../../helpers/change-streams.js';
import { startMongoTestServer } from '../../helpers/mongo-test-server.js';

const HISTORY = 8;
const historyLost = { name: 'MongoServerError', code: 286, codeName: 'ChangeStreamHistoryLost' };

t.test(
  'test server: history bounded by CONFLUX_MONGO_OPLOG_MAX_ENTRIES, older positions fail with 286',
  {
    skip: mongoTestServer ? false : 'needs the test server with a small history; a real replica set keeps as much as its oplog size allows',
  },
  async (t) => {
    const uri = await startMongoTestServer(t, { CONFLUX_MONGO_OPLOG_MAX_ENTRIES: String(HISTORY) });
    const client = await connect(t, uri);
    const orders = await freshCollection(t, client);

    const stream = await openStream(t, orders);
    await orders.insertOne({ _id: 'first' });
    const [first] = await nextEvents(stream, 1);
    await stream.close();

    await t.test('resuming within the history works', async (t) => {
      await orders.insertMany([{ _id: 'a' }, { _id: 'b' }]);
      const resumed = await openStream(t, orders, [], { resumeAfter: first!._id });
      t.same((await eventsUntilMarker(resumed, orders)).map(summary), ['insert a', 'insert b']);
    });

    await t.test('resumeAfter a token older than the history: 286 ChangeStreamHistoryLost', async (t) => {
      await orders.insertMany(Array.from({ length: HISTORY }, (_, i) => ({ _id: `later-${i}` })));
      const lost = orders.watch([], { resumeAfter: first!._id });
      t.teardown(() => lost.close());
      await t.rejects(lost.tryNext(), historyLost);
    });

    await t.test('startAtOperationTime older than the history: 286', async (t) => {
      const lost = orders.watch([], { startAtOperationTime: (first as { clusterTime: Timestamp }).clusterTime });
      t.teardown(() => lost.close());
      await t.rejects(lost.tryNext(), historyLost);
    });

    await t.test('a live stream that falls behind the history: 286 on its next getMore', async (t) => {
      const slow = await openStream(t, orders);
      await orders.insertMany(Array.from({ length: HISTORY + 2 }, (_, i) => ({ _id: `burst-${i}` })));
      await t.rejects(nextEvents(slow, HISTORY + 2), historyLost);
    });
  },
);
