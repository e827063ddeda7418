import { Faker, base, en } from '@faker-js/faker';
import type { Collection, Db, ObjectId } from 'mongodb';
import {
  address,
  customer,
  INVALID_KINDS,
  items as newItems,
  nextStatus,
  order,
  totalOf,
  type CustomerDocument,
  type OrderDocument,
  type OrderStatus,
} from './shop-documents.js';

/** What a run wrote, per kind of change. */
export type ChangeKind =
  | 'customer-seeded'
  | 'order-seeded'
  | 'order-created'
  | 'status-changed'
  | 'items-edited'
  | 'address-changed'
  | 'customer-created'
  | 'order-deleted'
  | 'order-broken';

export interface GeneratorOptions {
  /** Seed of the random choices: the same seed on the same starting data writes the same documents. */
  seed: number;
  /** Share of new orders that break validation, 0..1. */
  invalidRatio: number;
  /** The time written in created_at/updated_at; the wall clock by default. */
  now?: () => Date;
}

interface OpenOrder {
  readonly _id: ObjectId;
  status: OrderStatus;
}

const SEED_BATCH = 1000;

/**
 * Writes a shop's orders and customers: an initial load, then a realistic mix of live changes.
 * It keeps the ids it knows in memory (customers, orders still moving), so every live change hits
 * an existing document; it never reads the collections back except to pick up where an earlier
 * run left off.
 */
export class ShopGenerator {
  /** Documents written per change kind, plus `invalid <rule>` per broken order. */
  readonly counts = new Map<string, number>();
  private readonly f: Faker;
  private readonly now: () => Date;
  private readonly customers: Collection<CustomerDocument>;
  private readonly orders: Collection<OrderDocument>;
  private customerIds: ObjectId[] = [];
  private open: OpenOrder[] = [];
  private closed: ObjectId[] = [];

  constructor(
    db: Db,
    private readonly o: GeneratorOptions,
  ) {
    this.f = new Faker({ locale: [en, base] });
    this.f.seed(o.seed);
    this.now = o.now ?? (() => new Date());
    this.customers = db.collection<CustomerDocument>('customers');
    this.orders = db.collection<OrderDocument>('orders');
  }

  /** Picks up the customers and orders already in the database (in _id order, so runs repeat). */
  async load(): Promise<void> {
    this.customerIds = (
      await this.customers
        .find({}, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((c) => c._id);
    for (const o of await this.orders
      .find({}, { projection: { _id: 1, status: 1 } })
      .sort({ _id: 1 })
      .toArray()) {
      if (o.status === 'delivered' || o.status === 'cancelled') this.closed.push(o._id);
      else this.open.push({ _id: o._id, status: o.status });
    }
  }

  /** The initial load: `customers` customers, then `orders` orders of random customers. */
  async seed(customers: number, orders: number): Promise<void> {
    for (let done = 0; done < customers; done += SEED_BATCH) {
      const batch = Array.from({ length: Math.min(SEED_BATCH, customers - done) }, () => customer(this.f, this.now()));
      await this.customers.insertMany(batch);
      this.customerIds.push(...batch.map((c) => c._id));
      this.count('customer-seeded', batch.length);
    }
    if (orders > 0 && this.customerIds.length === 0) throw new Error('orders need customers: seed some with --seed-customers');
    for (let done = 0; done < orders; done += SEED_BATCH) {
      const batch = Array.from({ length: Math.min(SEED_BATCH, orders - done) }, () => this.newOrder());
      await this.orders.insertMany(batch);
      for (const o of batch) this.open.push({ _id: o._id, status: o.status });
      this.count('order-seeded', batch.length);
    }
  }

  /** One live change, chosen by the shop's mix; returns its kind. */
  async change(): Promise<ChangeKind> {
    const f = this.f;
    const kind = f.helpers.weightedArrayElement<ChangeKind>([
      { value: 'order-created', weight: 35 },
      { value: 'status-changed', weight: 32 },
      { value: 'items-edited', weight: 8 },
      { value: 'address-changed', weight: 10 },
      { value: 'customer-created', weight: 10 },
      { value: 'order-deleted', weight: 5 },
      // A valid order updated into an invalid one (a line set to quantity 0): its row must leave
      // the warehouse (rejected.version.policy). Only where invalid orders are asked for.
      ...(this.o.invalidRatio > 0 ? [{ value: 'order-broken' as const, weight: 2 }] : []),
    ]);
    const done = await this.apply(kind);
    this.count(done);
    return done;
  }

  private async apply(kind: ChangeKind): Promise<ChangeKind> {
    const f = this.f;
    const now = this.now();
    if (this.customerIds.length === 0 || kind === 'customer-created') {
      const c = customer(f, now);
      await this.customers.insertOne(c);
      this.customerIds.push(c._id);
      return 'customer-created';
    }
    if (kind === 'address-changed') {
      await this.customers.updateOne({ _id: f.helpers.arrayElement(this.customerIds) }, { $set: { address: address(f), updated_at: now } });
      return kind;
    }
    if (kind === 'status-changed' && this.open.length > 0) {
      const i = f.number.int({ min: 0, max: this.open.length - 1 });
      const o = this.open[i]!;
      const next = nextStatus(f, o.status)!;
      await this.orders.updateOne({ _id: o._id }, { $set: { status: next, updated_at: now } });
      o.status = next;
      if (next === 'delivered' || next === 'cancelled') {
        this.open.splice(i, 1);
        this.closed.push(o._id);
      }
      return kind;
    }
    if (kind === 'items-edited') {
      const pending = this.open.filter((o) => o.status === 'pending');
      if (pending.length > 0) {
        const lines = newItems(f);
        await this.orders.updateOne({ _id: f.helpers.arrayElement(pending)._id }, { $set: { items: lines, total: totalOf(lines), updated_at: now } });
        return kind;
      }
    }
    if (kind === 'order-broken') {
      const pending = this.open.filter((o) => o.status === 'pending');
      if (pending.length > 0) {
        const victim = f.helpers.arrayElement(pending);
        await this.orders.updateOne({ _id: victim._id }, { $set: { 'items.0.quantity': 0, updated_at: now } });
        // Left alone from now on: it stays broken, and no later change repairs it by chance.
        this.open.splice(this.open.indexOf(victim), 1);
        return kind;
      }
    }
    if (kind === 'order-deleted' && this.closed.length > 0) {
      const [id] = this.closed.splice(f.number.int({ min: 0, max: this.closed.length - 1 }), 1);
      await this.orders.deleteOne({ _id: id! });
      return kind;
    }
    const o = this.newOrder();
    await this.orders.insertOne(o);
    this.open.push({ _id: o._id, status: o.status });
    return 'order-created';
  }

  /** A new order; --invalid-ratio of them break one validation rule, counted as `invalid <rule>`. */
  private newOrder(): OrderDocument {
    const f = this.f;
    const invalid = this.o.invalidRatio > 0 && f.datatype.boolean(this.o.invalidRatio) ? f.helpers.arrayElement(INVALID_KINDS) : undefined;
    if (invalid) this.count(`invalid ${invalid}`);
    return order(f, f.helpers.arrayElement(this.customerIds), this.now(), invalid);
  }

  private count(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }
}
