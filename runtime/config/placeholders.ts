import type { ConfigErrorEntry } from '../api/errors.js';

/** Where placeholder values come from; injectable so resolution is testable without real files. */
export interface PlaceholderSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Reads the properties file behind `${file:..}`. May throw a {@link PlaceholderRefusedError} to
   * refuse the path by a rule; any other failure is reported with one generic message.
   */
  readonly readFile: (path: string) => string | Promise<string>;
  /** When given, `${env:NAME}` with a name it rejects is refused without looking at the environment. */
  readonly allowEnv?: (name: string) => boolean;
}

/** A placeholder that a worker rule forbids; its message names the rule, never the file's state. */
export class PlaceholderRefusedError extends Error {
  override readonly name = 'PlaceholderRefusedError';
}

export type ResolveResult<T> =
  | {
      readonly ok: true;
      readonly config: T;
      /** The resolved values, to be scrubbed from logs and error messages with `redactString`. */
      readonly secrets: readonly string[];
    }
  | { readonly ok: false; readonly errors: readonly ConfigErrorEntry[] };

export interface ResolveOptions {
  /**
   * Keys whose value must be literal: a placeholder there is an error and nothing is resolved for
   * it. Used for keys that become names (plugin class, transform aliases), so that a resolved value
   * can never end up in a key or an error message.
   */
  readonly literal?: (key: string) => boolean;
}

// ${env:NAME} and ${file:/path/to/file:key}. The file path may contain ':', the key may not, so
// the last ':' separates them, as in Kafka's FileConfigProvider syntax.
const PLACEHOLDER = /\$\{(env|file):([^}]*)\}/g;
const ENV_RULE = 'config.providers.env.allowlist';
const FILE_RULE = 'config.providers.file.allowed.paths';

/**
 * Parses a Java-properties-like file: `key=value` or `key: value` lines, `#`/`!` comments,
 * whitespace around keys and separators ignored, the first separator wins (values may contain
 * `=`). Line continuations and unicode escapes are not supported. Linear in the input: no regular
 * expression with nested quantifiers runs over file contents.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    let end = 0;
    while (end < line.length && !isSeparator(line[end]!)) end++;
    const key = line.slice(0, end);
    let rest = end;
    while (rest < line.length && isSpace(line[rest]!)) rest++;
    if (rest < line.length && (line[rest] === '=' || line[rest] === ':')) rest++;
    out.set(key, line.slice(rest).trim());
  }
  return out;
}

function isSpace(c: string): boolean {
  return c.trim() === '';
}

function isSeparator(c: string): boolean {
  return c === '=' || c === ':' || isSpace(c);
}

/**
 * Replaces `${env:NAME}` and `${file:/path:key}` inside every string value of `config` (nested
 * objects and arrays included) and returns a new object; the input is not modified. Errors name
 * the config key and the placeholder as written, never a resolved value, and do not tell why a
 * file could not be used (missing, unreadable, not a file, key absent all read the same), so that
 * error texts are no oracle for what exists on the worker's disk or in its environment. Other
 * `${...}` text is left alone so that literal dollar-brace strings keep working.
 *
 * Called only inside the worker just before validation: the unresolved config is what is stored
 * and returned over REST, so secrets never leave the process.
 */
export async function resolvePlaceholders<T>(config: T, sources: PlaceholderSources, options: ResolveOptions = {}): Promise<ResolveResult<T>> {
  const errors: ConfigErrorEntry[] = [];
  const secrets = new Set<string>();
  const files = new Map<string, Promise<Map<string, string> | Error>>();

  const loadFile = (path: string) => {
    let p = files.get(path);
    if (!p) {
      p = Promise.resolve()
        .then(() => sources.readFile(path))
        .then(parseProperties, (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      files.set(path, p);
    }
    return p;
  };

  const resolveOne = async (provider: 'env' | 'file', arg: string, whole: string, key: string): Promise<string | undefined> => {
    if (provider === 'env') {
      if (sources.allowEnv && !sources.allowEnv(arg)) {
        errors.push({ key, message: `${whole} is refused: ${arg} is not in ${ENV_RULE}` });
        return undefined;
      }
      const value = Object.hasOwn(sources.env, arg) ? sources.env[arg] : undefined;
      if (value === undefined) errors.push({ key, message: `${whole} cannot be resolved` });
      return value;
    }
    const sep = arg.lastIndexOf(':');
    const path = sep > 0 ? arg.slice(0, sep) : '';
    const fileKey = sep > 0 ? arg.slice(sep + 1) : '';
    if (!path || !fileKey) {
      errors.push({ key, message: `${whole} must have the form \${file:/path/to/file:key}` });
      return undefined;
    }
    const props = await loadFile(path);
    if (props instanceof PlaceholderRefusedError) {
      errors.push({ key, message: `${whole} is refused: ${props.message}` });
      return undefined;
    }
    const value = props instanceof Error ? undefined : props.get(fileKey);
    if (value === undefined) {
      errors.push({ key, message: `${whole} cannot be resolved: it must name a readable properties file under ${FILE_RULE} that has the key` });
    }
    return value;
  };

  const resolveString = async (value: string, key: string): Promise<string> => {
    const matches = [...value.matchAll(PLACEHOLDER)];
    if (matches.length === 0) return value;
    if (options.literal?.(key)) {
      errors.push({ key, message: 'must be a literal value: placeholders are not allowed in this key' });
      return value;
    }
    let out = '';
    let last = 0;
    for (const m of matches) {
      const [whole, provider, arg] = m as unknown as [string, 'env' | 'file', string];
      out += value.slice(last, m.index);
      last = (m.index ?? 0) + whole.length;
      const resolved = await resolveOne(provider, arg, whole, key);
      if (resolved !== undefined) {
        if (resolved !== '') secrets.add(resolved);
        out += resolved;
      }
    }
    return out + value.slice(last);
  };

  const walk = async (value: unknown, key: string): Promise<unknown> => {
    if (typeof value === 'string') return resolveString(value, key);
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => walk(v, `${key}.${i}`)));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await walk(v, key ? `${key}.${k}` : k);
      return out;
    }
    return value;
  };

  const resolved = (await walk(config, '')) as T;
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: resolved, secrets: [...secrets] };
}

/** True when `value` is exactly one placeholder, i.e. a reference that reveals no secret. */
export function isPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && /^\$\{(env|file):[^}]*\}$/.test(value);
}

/** True when `value` contains a placeholder anywhere. */
export function hasPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && /\$\{(env|file):[^}]*\}/.test(value);
}
