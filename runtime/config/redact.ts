import type { TSchema } from 'typebox';
import { isSecretSchema } from '../api/schema.js';
import { connectorMarkedKeys, schemaKeys } from './marked-keys.js';
import { isPlaceholder } from './placeholders.js';
import type { TransformLookup } from './validate.js';

export const REDACTED = '[hidden]';

// Like Kafka Connect's PASSWORD type, but by name: keys that look secret are hidden even when no
// schema says so (an unknown plugin, a typo in a key, a transform's nested key).
const SECRET_NAME = /password|(^|\.)(secret|token)$/i;

/** True when a key's name alone marks it as secret. */
export function looksSecret(key: string): boolean {
  return SECRET_NAME.test(key);
}

/** Keys that `schemas` mark with `Secret(...)`; `prefix` scopes a plugin schema (`transforms.a.`). */
export function secretKeys(schema: TSchema, prefix = ''): string[] {
  return schemaKeys(schema, isSecretSchema, prefix);
}

/**
 * Returns a copy of a flat config with secret values replaced by `[hidden]`: keys marked secret in
 * any of `schemas` and keys whose name looks secret. A value that is only a `${env:..}` or
 * `${file:..}` reference is kept, because it reveals nothing and users need to see where the
 * secret comes from.
 */
export function redact<T extends Record<string, unknown>>(config: T, schemas: TSchema | readonly TSchema[] = []): T {
  const list = Array.isArray(schemas) ? (schemas as readonly TSchema[]) : [schemas as TSchema];
  return redactKeys(config, new Set(list.flatMap((s) => secretKeys(s))));
}

/**
 * {@link redact} for a connector config: also hides the secret keys of the transforms and
 * predicates its `transforms.<alias>.type` / `predicates.<alias>.type` keys name.
 */
export function redactConnectorConfig<T extends Record<string, unknown>>(config: T, pluginSchema: TSchema, lookup?: TransformLookup): T {
  return redactKeys(config, connectorSecretKeys(config, pluginSchema, lookup));
}

/**
 * The secret keys of a connector config: those a schema declares secret (the plugin's, and those
 * of the transforms and predicates its `transforms.<alias>.type` / `predicates.<alias>.type` keys
 * name), and those whose name looks secret. The one answer to "is this key secret" for logs,
 * responses, validation and the scrubber alike.
 */
export function connectorSecretKeys(config: Readonly<Record<string, unknown>>, pluginSchema: TSchema | undefined, lookup?: TransformLookup): Set<string> {
  const marked = connectorMarkedKeys(config, pluginSchema, lookup, isSecretSchema);
  for (const key of Object.keys(config)) if (looksSecret(key)) marked.add(key);
  return marked;
}

/**
 * The redaction rule: the literal value of a secret key is hidden; a value that is only a
 * `${env:..}` or `${file:..}` reference is a pointer, not a secret, and is shown as written, so a
 * config read back equals the one sent (GitOps diffs stay empty) and users see where a secret comes
 * from. A value mixing text and a reference is hidden: its text may be part of the secret.
 */
export function redactKeys<T extends Record<string, unknown>>(config: T, marked: ReadonlySet<string>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const secret = marked.has(key) || looksSecret(key);
    out[key] = secret && value !== undefined && value !== null && value !== '' && !isPlaceholder(value) ? REDACTED : value;
  }
  return out as T;
}

/**
 * Removes resolved secret values from free text (error messages, traces, log lines). Longer
 * secrets are replaced first so that a secret containing another is hidden whole.
 */
export function redactString(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(REDACTED);
  }
  return out;
}
