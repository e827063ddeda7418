import type { Document } from 'mongodb';

/**
 * The BSON types, as `$type` aliases, grouped in MongoDB's comparison/sort order (manual, "BSON
 * Types: Comparison/Sort Order"); types of one group compare by value (all numbers together,
 * symbols with strings). `array` is left out: an `_id` cannot be an array (nor a regex or
 * undefined, but a regex still has its place in the order).
 */
const TYPE_ORDER: readonly (readonly string[])[] = [
  ['minKey'],
  ['null'],
  ['double', 'int', 'long', 'decimal'],
  ['symbol', 'string'],
  ['object'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
  ['javascript'],
  ['javascriptWithScope'],
  ['maxKey'],
];

const BSON_TYPE_GROUP: Readonly<Record<string, number>> = {
  MinKey: 0,
  Int32: 2,
  Double: 2,
  Long: 2,
  Decimal128: 2,
  BSONSymbol: 3,
  Binary: 5,
  ObjectId: 6,
  Timestamp: 9,
  BSONRegExp: 10,
  Code: 11,
  MaxKey: 13,
};

/** The sort-order group of a value read back from canonical Extended JSON. */
function groupOf(value: unknown): number {
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    case 'boolean':
      return 7;
    default:
      break;
  }
  if (value instanceof Date) return 8;
  if (value instanceof RegExp) return 10;
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag === undefined) return 4;
  if (tag === 'Code') return (value as { scope?: unknown }).scope ? 12 : 11;
  const group = BSON_TYPE_GROUP[tag];
  if (group === undefined) throw new Error(`an _id of BSON type ${tag} has no place in MongoDB's sort order`);
  return group;
}

/**
 * The filter for "every `_id` after `lastId` in MongoDB's sort order", the resume point of a copy
 * in `_id` order. `{_id: {$gt: lastId}}` alone matches only `_id`s of lastId's own type group
 * (query type bracketing), so the groups that sort after it are added by `$type`: a collection
 * whose `_id`s mix ObjectIds, strings and numbers is copied whole, and resumes anywhere.
 */
export function afterId(lastId: unknown): Document {
  const later = TYPE_ORDER.slice(groupOf(lastId) + 1).flat();
  const sameGroup = { _id: { $gt: lastId } };
  return later.length === 0 ? sameGroup : { $or: [sameGroup, { _id: { $type: later } }] };
}
