import type { TSchema } from 'typebox';
import { PREDICATE_KEY, TRANSFORM_KEY } from './connector-schema.js';
import type { TransformLookup } from './validate.js';

/** The keys of `schema`'s properties whose schema passes `marked`, each after `prefix`. */
export function schemaKeys(schema: TSchema, marked: (s: unknown) => boolean, prefix = ''): string[] {
  const props = (schema as { properties?: Record<string, unknown> }).properties ?? {};
  return Object.entries(props)
    .filter(([, s]) => marked(s))
    .map(([k]) => prefix + k);
}

/**
 * The keys of a connector config whose schema passes `marked`: the plugin's own, and those of the
 * transforms and predicates its `transforms.<alias>.type` / `predicates.<alias>.type` keys name
 * (`transforms.<alias>.<key>`).
 */
export function connectorMarkedKeys(
  config: Readonly<Record<string, unknown>>,
  pluginSchema: TSchema | undefined,
  lookup: TransformLookup | undefined,
  marked: (s: unknown) => boolean,
): Set<string> {
  const keys = new Set(pluginSchema ? schemaKeys(pluginSchema, marked) : []);
  if (!lookup) return keys;
  for (const [key, value] of Object.entries(config)) {
    const t = TRANSFORM_KEY.exec(key);
    const p = PREDICATE_KEY.exec(key);
    if (typeof value !== 'string' || (t?.[2] ?? p?.[2]) !== 'type') continue;
    const def = t ? lookup.transform(value) : lookup.predicate(value);
    if (def) for (const k of schemaKeys(def.config, marked, key.slice(0, -'type'.length))) keys.add(k);
  }
  return keys;
}
