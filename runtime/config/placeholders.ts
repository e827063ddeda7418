import type { ConfigErrorEntry } from '../api/errors.js';

/** Where placeholder values come from; injectable so resolution is testable without real files. */
export interface PlaceholderSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string | Promise<string>;
}

export type ResolveResult<T> =
  | {
      readonly ok: true;
      readonly config: T;
      /** The resolved values, to be scrubbed from logs and error messages with `redactString`. */
      readonly secrets: readonly string[];
    }
  | { readonly ok: false; readonly errors: readonly ConfigErrorEntry[] };

// ${env:NAME} and ${file:/path/to/file:key}. The file path may contain ':', the key may not, so
// the last ':' separates them, as in Kafka's FileConfigProvider syntax.
const PLACEHOLDER = /\$\{(env|file):([^}]*)\}/g;

/**
 * Parses a Java-properties-like file: `key=value` or `key: value` lines, `#`/`!` comments,
 * whitespace around keys and separators ignored, the first separator wins (values may contain
 * `=`). Line continuations and unicode escapes are not supported.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trimEnd());
    else out.set(line.trimEnd(), '');
  }
  return out;
}

/**
 * Replaces `${env:NAME}` and `${file:/path:key}` inside every string value of `config` (nested
 * objects and arrays included) and returns a new object; the input is not modified. A missing
 * variable, file or key is an error naming the config key, never the value. Other `${...}`
 * text is left alone so that literal dollar-brace strings keep working.
 *
 * Called only inside the worker just before validation: the unresolved config is what is stored
 * and returned over REST, so secrets never leave the process.
 */
export async function resolvePlaceholders<T>(config: T, sources: PlaceholderSources): Promise<ResolveResult<T>> {
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

  const resolveString = async (value: string, key: string): Promise<string> => {
    const matches = [...value.matchAll(PLACEHOLDER)];
    if (matches.length === 0) return value;
    let out = '';
    let last = 0;
    for (const m of matches) {
      const [whole, provider, arg] = m as unknown as [string, 'env' | 'file', string];
      out += value.slice(last, m.index);
      last = (m.index ?? 0) + whole.length;
      let resolved: string | undefined;
      if (provider === 'env') {
        resolved = sources.env[arg];
        if (resolved === undefined) errors.push({ key, message: `environment variable ${arg} is not set` });
      } else {
        const sep = arg.lastIndexOf(':');
        const path = sep > 0 ? arg.slice(0, sep) : '';
        const fileKey = sep > 0 ? arg.slice(sep + 1) : '';
        if (!path || !fileKey) {
          errors.push({ key, message: `${whole} must have the form \${file:/path/to/file:key}` });
        } else {
          const props = await loadFile(path);
          if (props instanceof Error) {
            const code = (props as NodeJS.ErrnoException).code;
            errors.push({ key, message: `cannot read ${path}${code ? ` (${code})` : ''}` });
          } else {
            resolved = props.get(fileKey);
            if (resolved === undefined) errors.push({ key, message: `key ${fileKey} not found in ${path}` });
          }
        }
      }
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
