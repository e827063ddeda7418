import type { Document } from 'mongodb';
import type { Share } from './config.js';

/**
 * The `$match` stage keeping the documents of one share of `_id`'s hash space: MongoDB 7's
 * `$toHashedIndexKey` (the hash of a hashed index) modulo the share count. `$mod` keeps the sign
 * of the dividend, so `$abs` maps every hash to exactly one of 0..count-1, the same one every time:
 * a document always lands in the same task, which keeps its changes in order.
 * `path` is `$documentKey._id` on change events and `$_id` on documents.
 */
export function shareMatch(share: Share, path: string): Document {
  return { $match: { $expr: { $eq: [{ $abs: { $mod: [{ $toHashedIndexKey: path }, share.count] } }, share.index] } } };
}
