import { REDACTED } from '../config/redact.js';
import { StringMatcher } from './string-matcher.js';

// A shorter value cannot be scrubbed from free text without destroying it ("a", "ok").
export const MIN_SCRUBBED_LENGTH = 3;
/**
 * Bounds of one secret value: a private key in PEM fits, a 30 KB list of thousands of parts does
 * not. Within them the matcher's dictionary stays small and its build fast; a config beyond them
 * is refused with the key named (see worker/config-validator.ts).
 */
export const MAX_SECRET_LENGTH = 8192;
export const MAX_SECRET_PARTS = 64;
/** The secret values of one connector together, in characters. */
export const MAX_SECRET_CHARS_PER_OWNER = 65_536;
const MAX_DEPTH = 8;

/**
 * The set of secret values to remove from everything the worker writes out, grouped by owner (a
 * connector's values are replaced when its config changes and dropped when it is deleted, so the
 * set does not only grow). One multi-string matcher (Aho–Corasick) finds them all in a single
 * pass whose cost is linear in the text, whatever the number of values; overlapping secrets are
 * hidden whole. A value is
 * also registered by its comma-separated parts, because list keys are split before use (a topic
 * list resolved from one placeholder shows up as its parts), by the pieces a URI parser cuts it
 * into, and in the spellings client
 * libraries quote it in (percent-encoded, JSON-escaped, base64). Base64 inside a longer encoded
 * string (`user:password` in a Basic header) depends on alignment and is not caught.
 */
export class SecretScrubber {
  private readonly owners = new Map<string, readonly string[]>();
  private matcher: StringMatcher | null | undefined;

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
    const matcher = this.compiled();
    return matcher ? matcher.replace(text, REDACTED) : text;
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

  private compiled(): StringMatcher | null {
    if (this.matcher === undefined) {
      const values = this.all();
      this.matcher = values.size > 0 ? new StringMatcher(values) : null;
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
    // Validation refuses longer lists; a value that reaches here anyway is kept whole, not split.
    const pieces = separators.test(v) ? v.split(separators) : [];
    const parts = pieces.length > 0 && pieces.length <= MAX_SECRET_PARTS ? [v, ...pieces.map((p) => p.trim())] : [v];
    for (const part of [...parts, ...userinfoPasswords(v)]) {
      if (part.length < MIN_SCRUBBED_LENGTH) continue;
      yield* variants(part);
    }
  }
}

/** The shortest URL password registered on its own (see userinfoPasswords). */
export const MIN_URL_PASSWORD_LENGTH = 8;

const USERINFO = /[a-z][a-z0-9+.-]*:\/\/([^@/?#\s]*)@/gi;

/**
 * The password of every URL in a value, as written and percent-decoded: a driver that fails to
 * connect quotes the pieces it parsed (the password alone, or the host), never the URL whole. A
 * MongoDB URI lists hosts with commas, so the userinfo is found before any split.
 */
function userinfoPasswords(v: string): string[] {
  if (!v.includes('://')) return [];
  const out: string[] = [];
  for (const m of v.matchAll(USERINFO)) {
    const info = m[1]!;
    const colon = info.indexOf(':');
    if (colon < 0) continue;
    const password = info.slice(colon + 1);
    // Alone, a short password is a word of ordinary text ("conflux" in every metric name): hiding
    // it would garble every line, so it stays hidden only inside its URL.
    if (password.length < MIN_URL_PASSWORD_LENGTH) continue;
    out.push(password);
    try {
      out.push(decodeURIComponent(password));
    } catch {
      // A malformed escape: the raw form is all a client can quote.
    }
  }
  return out;
}

/**
 * Why a value cannot be a secret, or undefined when it can: a secret that a scrub could not find
 * (too short) or one whose parts would swell the matcher without bound (too long, too many parts).
 */
export function secretValueProblem(value: string, o: { minimum: boolean } = { minimum: true }): string | undefined {
  if (o.minimum && value.length > 0 && value.length < MIN_SCRUBBED_LENGTH) {
    return `a secret must have at least ${MIN_SCRUBBED_LENGTH} characters: a shorter one cannot be kept out of logs`;
  }
  if (value.length > MAX_SECRET_LENGTH) return `a secret may have at most ${MAX_SECRET_LENGTH} characters (it has ${value.length})`;
  const parts = value.split(value.includes('://') ? /,/ : /[,@/?#]/).length;
  if (parts > MAX_SECRET_PARTS) return `a secret may have at most ${MAX_SECRET_PARTS} parts separated by , @ / ? or # (it has ${parts})`;
  return undefined;
}
