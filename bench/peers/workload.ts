/**
 * The workload bench:peers feeds both sides: the shop generator (what `conflux generate` runs) with a
 * fixed seed writes customers and orders, then every order is updated in turn, so that the
 * captured changes are inserts, then updates, and the same on every run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, ObjectId } from 'mongodb';
import { runWorkload } from '../../test/helpers/shop-workload.js';

const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
const UPDATE_BATCH = 1000;

export interface Preload {
  /** A whole second (what both sources can start at) before the first write and after every earlier one. */
  startSeconds: number;
  orderIds: ObjectId[];
  /** Changes to `orders`: inserts + updates. */
  orderChanges: number;
  customers: number;
}

export async function preload(db: Db, o: { seed: number; customers: number; orders: number; updates: number }): Promise<Preload> {
  // Something older than the start, so that the start lies inside the server's history.
  await db.collection('before_start').insertOne({ at: new Date() });
  await sleep(1100);
  const startSeconds = Math.floor(Date.now() / 1000);
  await runWorkload(db, { seed: o.seed, customers: o.customers, orders: o.orders, changes: 0, invalidRatio: 0 });
  const orderIds = (
    await db
      .collection('orders')
      .find({}, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .toArray()
  ).map((d) => d._id as ObjectId);
  for (let done = 0; done < o.updates; done += UPDATE_BATCH) {
    const ops = Array.from({ length: Math.min(UPDATE_BATCH, o.updates - done) }, (_, i) => updateOp(orderIds, done + i));
    await db.collection('orders').bulkWrite(ops, { ordered: true });
  }
  return { startSeconds, orderIds, orderChanges: o.orders + o.updates, customers: o.customers };
}

/** The n-th update: order n modulo the orders, to the next status, stamped with the time it is written. */
function updateOp(ids: readonly ObjectId[], n: number) {
  return {
    updateOne: {
      filter: { _id: ids[n % ids.length] },
      update: { $set: { status: STATUSES[(Math.floor(n / ids.length) + 1) % STATUSES.length], updated_at: new Date() } },
    },
  };
}

/** Updates at `rate` per second for `seconds`, from `writers` loops that each await every write. */
export async function updatesAtRate(
  db: Db,
  ids: readonly ObjectId[],
  rate: number,
  seconds: number,
  writers: number,
  first: number,
): Promise<{ written: number; t0: number; t1: number }> {
  const perWriter = Math.round((rate * seconds) / writers);
  const t0 = Date.now();
  const counts = await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let done = 0;
      while (done < perWriter) {
        const wait = t0 + (done / (rate / writers)) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        const op = updateOp(ids, first + w * perWriter + done).updateOne;
        await db.collection('orders').updateOne(op.filter, { $set: { ...op.update.$set, updated_at: new Date() } });
        done += 1;
      }
      return done;
    }),
  );
  return { written: counts.reduce((a, b) => a + b, 0), t0, t1: Date.now() };
}
