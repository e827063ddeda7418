import { REDACTED } from '../config/redact.js';

// A shorter value cannot be scrubbed from free text without destroying it ("a", "ok").
export const MIN_SCRUBBED_LENGTH = 3;
const MAX_DEPTH = 8;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The set of secret values to remove from everything the worker writes out, grouped by owner (a
 * connector's values are replaced when its config changes and dropped when it is deleted, so the
 * set does not only grow). One combined regular expression matches them all in a single pass,
 * longest first, so the cost of a scrub does not grow with a loop over every value. A value is
 * also registered by its comma-separated parts, because list keys are split before use (a topic
 * list resolved from one placeholder shows up as its parts), by the pieces a URI parser cuts it
 * into, and in the spellings client
 * libraries quote it in (percent-encoded, JSON-escaped, base64). Base64 inside a longer encoded
 * string (`user:password` in a Basic header) depends on alignment and is not caught.
 */
export class SecretScrubber {
  private readonly owners = new Map<string, readonly string[]>();
  private matcher: RegExp | null | undefined;

  /** Replaces the values registered by `owner`; an empty list removes the owner. */
  set(owner: string, values: Iterable<string>): void {
    const list = [...expand(values)];
    if (list.length === 0) this.owners.delete(owner);
    else this.owners.set(owner, list);
    this.matcher = undefined;
  }

  /** Adds values to those of `owner`. */
  add(owner: string, values: Iterable<string>): void {
    this.set(owner, [...(this.owners.get(owner) ?? []), ...values]);
  }

  /** The number of distinct values registered. */
  get size(): number {
    return this.all().size;
  }

  scrub(text: string): string {
    const re = this.regex();
    return re ? text.replace(re, REDACTED) : text;
  }

  /**
   * Scrubs every string inside `value` (objects, arrays, Error messages and stacks, to a bounded
   * depth); returns a copy, the input is not modified.
   */
  scrubDeep(value: unknown, depth = 0, maxDepth = MAX_DEPTH): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= maxDepth) return '[too deep]';
    if (value instanceof Error) {
      const out: Record<string, unknown> = { type: value.name, message: this.scrub(value.message) };
      if (value.stack) out['stack'] = this.scrub(value.stack);
      if (value.cause !== undefined) out['cause'] = this.scrubDeep(value.cause, depth + 1, maxDepth);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.scrubDeep(v, depth + 1, maxDepth));
    // Null prototype: a key "__proto__" stays a key instead of replacing the prototype.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[this.scrub(k)] = this.scrubDeep(v, depth + 1, maxDepth);
    return out;
  }

  private all(): Set<string> {
    const values = new Set<string>();
    for (const list of this.owners.values()) for (const v of list) values.add(v);
    return values;
  }

  private regex(): RegExp | null {
    if (this.matcher === undefined) {
      const values = [...this.all()].sort((a, b) => b.length - a.length);
      this.matcher = values.length > 0 ? new RegExp(values.map(escape).join('|'), 'g') : null;
    }
    return this.matcher;
  }
}

// Client libraries quote what they were given in their errors in other spellings: inside a URL
// (percent-encoded), inside JSON (escaped), in a Basic auth header or a token (base64).
function variants(v: string): string[] {
  const out = [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)];
  const base64 = Buffer.from(v, 'utf8').toString('base64');
  out.push(base64, base64.replace(/=+$/, ''));
  return out;
}

function* expand(values: Iterable<string>): Generator<string> {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    // Parts split where list values and URLs are split: a secret typed unencoded into a URI is cut
    // at its '@', '/', '?' or '#' by the URI parser, and errors then quote a piece ("ENOTFOUND ss w").
    // A value that is itself a URL is only split at commas: its pieces ("http:", "api") are words
    // of every other log line, not secrets.
    const separators = v.includes('://') ? /,/ : /[,@/?#]/;
    const parts = separators.test(v) ? [v, ...v.split(separators).map((p) => p.trim())] : [v];
    for (const part of parts) {
      if (part.length < MIN_SCRUBBED_LENGTH) continue;
      yield* variants(part);
    }
  }
}
