import { Decimal128, ObjectId } from 'mongodb';
import type { Faker } from '@faker-js/faker';

/**
 * The shop's MongoDB documents, the schema of record of config/schemas/orders.avsc and
 * customers.avsc once the source maps BSON to Avro: ids are ObjectIds (hex in Kafka), money is
 * Decimal128 (a decimal string in Kafka, exact), times are Dates (epoch ms in Kafka).
 */
export interface CustomerDocument {
  _id: ObjectId;
  name: string;
  email: string | null;
  segment: 'consumer' | 'business' | 'vip';
  address: { city: string; country: string } | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderItem {
  line: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price: Decimal128;
}

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

export interface OrderDocument {
  _id: ObjectId;
  customer_id: ObjectId;
  status: OrderStatus;
  currency: string;
  items: OrderItem[];
  total: Decimal128;
  created_at: Date;
  updated_at: Date;
}

export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK'] as const;
/** Not an ISO-4217 code: ValidateOrder rejects it. */
export const UNKNOWN_CURRENCY = 'ZZZ';

/** The ways a generated order breaks validation (--invalid-ratio). */
export const INVALID_KINDS = ['negative-quantity', 'wrong-total', 'unknown-currency', 'missing-customer'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** An ObjectId from the seeded generator, so a run is reproducible. */
export const objectId = (f: Faker): ObjectId => new ObjectId(f.string.hexadecimal({ length: 24, casing: 'lower', prefix: '' }));

const cents = (price: Decimal128): number => Math.round(Number(price.toString()) * 100);
const money = (c: number): Decimal128 => Decimal128.fromString((c / 100).toFixed(2));

/** The sum of quantity * unit_price, exact (in cents). */
export function totalOf(items: readonly OrderItem[]): Decimal128 {
  return money(items.reduce((sum, it) => sum + it.quantity * cents(it.unit_price), 0));
}

export function customer(f: Faker, now: Date): CustomerDocument {
  const firstName = f.person.firstName();
  const lastName = f.person.lastName();
  return {
    _id: objectId(f),
    name: `${firstName} ${lastName}`,
    email: f.datatype.boolean(0.95) ? f.internet.email({ firstName, lastName }).toLowerCase() : null,
    segment: f.helpers.weightedArrayElement([
      { value: 'consumer' as const, weight: 80 },
      { value: 'business' as const, weight: 15 },
      { value: 'vip' as const, weight: 5 },
    ]),
    address: address(f),
    created_at: now,
    updated_at: now,
  };
}

export function address(f: Faker): { city: string; country: string } {
  return { city: f.location.city(), country: f.location.countryCode('alpha-2') };
}

export function items(f: Faker): OrderItem[] {
  return Array.from({ length: f.number.int({ min: 1, max: 5 }) }, (_, i) => ({
    line: i + 1,
    sku: `SKU-${f.string.alphanumeric({ length: 6, casing: 'upper' })}`,
    name: f.commerce.productName(),
    quantity: f.number.int({ min: 1, max: 5 }),
    unit_price: Decimal128.fromString(f.commerce.price({ min: 1, max: 250, dec: 2 })),
  }));
}

/** A new (pending) order of `customerId`; with `invalid`, broken in that one way. */
export function order(f: Faker, customerId: ObjectId, now: Date, invalid?: InvalidKind): OrderDocument {
  const lines = items(f);
  const doc: OrderDocument = {
    _id: objectId(f),
    customer_id: customerId,
    status: 'pending',
    currency: f.helpers.arrayElement(CURRENCIES),
    items: lines,
    total: totalOf(lines),
    created_at: now,
    updated_at: now,
  };
  switch (invalid) {
    case 'negative-quantity':
      doc.items[0]!.quantity = -doc.items[0]!.quantity;
      doc.total = totalOf(doc.items);
      break;
    case 'wrong-total':
      doc.total = money(cents(doc.total) + f.number.int({ min: 1, max: 5000 }));
      break;
    case 'unknown-currency':
      doc.currency = UNKNOWN_CURRENCY;
      break;
    case 'missing-customer':
      doc.customer_id = objectId(f);
      break;
  }
  return doc;
}

/** The next status of an order's life, or undefined when it is over. Some pending or paid orders are cancelled. */
export function nextStatus(f: Faker, status: OrderStatus): OrderStatus | undefined {
  switch (status) {
    case 'pending':
      return f.datatype.boolean(0.1) ? 'cancelled' : 'paid';
    case 'paid':
      return f.datatype.boolean(0.05) ? 'cancelled' : 'shipped';
    case 'shipped':
      return 'delivered';
    default:
      return undefined;
  }
}
