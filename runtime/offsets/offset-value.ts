import { BadRequestError } from '../errors.js';
import type { OffsetWrite } from './store.js';

/**
 * Nesting allowed in a source partition or offset. Real ones are flat or nearly so (a MongoDB
 * resume token is `{ _data: "<hex>" }`); the bound keeps every later walk (stable keys, JSON
 * serialisation) far from the stack limit.
 */
export const MAX_OFFSET_DEPTH = 16;

/** Compact JSON size allowed for one partition or one offset; the store rewrites them on every flush. */
export const MAX_OFFSET_BYTES = 16 * 1024;

/**
 * Checks source offset writes before any store accepts them: partitions and offsets are stored
 * as JSON, so they must be JSON values (strings, finite numbers, booleans, null, plain objects and
 * arrays), at most {@link MAX_OFFSET_DEPTH} deep and {@link MAX_OFFSET_BYTES} long. A value that
 * could not be written would otherwise sit in the shared table and fail every later write of
 * every connector. Throws BadRequestError (400 at the REST API) naming the first problem.
 */
export function validateOffsetWrites(connector: string, entries: readonly OffsetWrite[]): void {
  entries.forEach((entry, i) => {
    const where = `offset entry ${i} of connector ${connector}`;
    check(entry.partition, `${where}: partition`);
    if (entry.offset !== null) check(entry.offset, `${where}: offset`);
  });
}

function check(value: unknown, what: string): void {
  if (!isPlainObject(value)) throw new BadRequestError(`${what} must be a JSON object`);
  const problem = jsonProblem(value);
  if (problem) throw new BadRequestError(`${what} ${problem}`);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_OFFSET_BYTES) throw new BadRequestError(`${what} is ${bytes} bytes of JSON; at most ${MAX_OFFSET_BYTES} are allowed`);
}

/** Walks the value without recursion, so that a hostile nesting depth cannot overflow the stack. */
function jsonProblem(root: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 1 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    const at = path ? ` at ${path}` : '';
    switch (typeof value) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(value)) return `holds ${value}${at}, which JSON cannot represent`;
        continue;
      case 'object':
        break;
      default:
        return `holds a ${typeof value}${at}; only JSON values (string, finite number, boolean, null, object, array) are allowed`;
    }
    if (value === null) continue;
    if (depth > MAX_OFFSET_DEPTH) return `is nested deeper than ${MAX_OFFSET_DEPTH} levels${at}`;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    } else {
      return `holds a ${value.constructor?.name ?? 'non-plain object'}${at}; only plain objects and arrays are allowed`;
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
