import type { EventTime } from '../../runtime/api/index.js';

/**
 * The cluster time a change stream resume token starts with, as an event time (seconds as ms, the
 * increment as seq), or undefined for a token of another shape. MongoDB's resume tokens are
 * KeyString-encoded and begin with the event's cluster time (type byte 0x82, then the seconds and
 * the increment as 4 bytes each, big-endian); Debezium reads the time of a postBatchResumeToken the
 * same way. Clients otherwise treat tokens as opaque, and so does conflux for resuming.
 */
export function tokenClusterTime(token: unknown): EventTime | undefined {
  const data = (token as { _data?: unknown } | null | undefined)?._data;
  if (typeof data !== 'string' || !/^82[0-9a-fA-F]{16}/.test(data)) return undefined;
  return { ms: parseInt(data.slice(2, 10), 16) * 1000, seq: parseInt(data.slice(10, 18), 16) };
}
