import type { TSchema } from 'typebox';
import type { ConfigErrorEntry } from '../api/errors.js';
import type { PredicateDefinition, TransformDefinition } from '../api/transform.js';
import { compileSchema, toConfigErrors } from './ajv.js';
import { PREDICATE_KEY, TRANSFORM_KEY, connectorConfigSchema, parseList, type SinkConnectorConfig, type SourceConnectorConfig } from './connector-schema.js';

/** Finds transform and predicate plugins by the name given in `transforms.<alias>.type`. */
export interface TransformLookup {
  transform(name: string): TransformDefinition | undefined;
  predicate(name: string): PredicateDefinition | undefined;
}

/** Builds a {@link TransformLookup} from the explicit registry maps. */
export function lookupFromMaps(
  transforms: Readonly<Record<string, TransformDefinition>>,
  predicates: Readonly<Record<string, PredicateDefinition>>,
): TransformLookup {
  return {
    transform: (name) => (Object.hasOwn(transforms, name) ? transforms[name] : undefined),
    predicate: (name) => (Object.hasOwn(predicates, name) ? predicates[name] : undefined),
  };
}

export interface PredicateSpec {
  readonly alias: string;
  readonly type: string;
  /** Validated, with defaults (raw strings when validated without a lookup). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** One stage of the transform chain, as declared by the config. */
export interface TransformSpec {
  readonly alias: string;
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly predicate?: PredicateSpec;
  /** Apply the transform when the predicate does NOT match. */
  readonly negate: boolean;
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly config: Readonly<T>; readonly transforms: readonly TransformSpec[] }
  | { readonly ok: false; readonly errors: readonly ConfigErrorEntry[] };

export interface ValidateConnectorOptions {
  /** Sink connectors also require `topics`. */
  readonly kind?: 'source' | 'sink';
  /** When given, transform and predicate keys are validated against their plugins' schemas. */
  readonly lookup?: TransformLookup;
}

type Props = Record<string, unknown>;

function objectParts(schema: TSchema): { properties: Props; required: string[]; patternProperties: Props } {
  const s = schema as { properties?: Props; required?: string[]; patternProperties?: Props };
  return { properties: s.properties ?? {}, required: s.required ?? [], patternProperties: s.patternProperties ?? {} };
}

// Merged schemas are cached per plugin schema so ajv compiles each combination once.
const merged = new WeakMap<TSchema, Map<string, object>>();

function mergedSchema(pluginSchema: TSchema, kind: 'source' | 'sink'): object {
  let byKind = merged.get(pluginSchema);
  if (!byKind) merged.set(pluginSchema, (byKind = new Map()));
  let schema = byKind.get(kind);
  if (!schema) {
    const common = objectParts(connectorConfigSchema(kind));
    const plugin = objectParts(pluginSchema);
    schema = {
      type: 'object',
      // Plugin keys come last so that a plugin may narrow a common key (e.g. a fixed tasks.max).
      properties: { ...common.properties, ...plugin.properties },
      required: [...new Set([...common.required, ...plugin.required])],
      // A plugin's keys with a name in them (`value.schema.<collection>`) are declared as patterns.
      patternProperties: { ...plugin.patternProperties, [TRANSFORM_KEY.source]: {}, [PREDICATE_KEY.source]: {} },
      additionalProperties: false,
    };
    byKind.set(kind, schema);
  }
  return schema;
}

// Plugin sub-schemas reject unknown keys too, whatever the plugin said, so typos are reported.
const closedSchemas = new WeakMap<TSchema, object>();

function closed(schema: TSchema): object {
  let s = closedSchemas.get(schema);
  if (!s) {
    const { properties, required } = objectParts(schema);
    s = { ...(schema as object), type: 'object', properties, required, additionalProperties: false };
    closedSchemas.set(schema, s);
  }
  return s;
}

function validateObject(schema: TSchema, raw: Props, prefix: string): { data: Props; errors: ConfigErrorEntry[] } {
  const data = structuredClone(raw);
  const validate = compileSchema(closed(schema));
  const valid = validate(data);
  return { data, errors: valid ? [] : toConfigErrors(validate.errors, prefix) };
}

const ALIAS = /^[A-Za-z0-9_-]+$/;

/** Collects `<group>.<alias>.<key>` values per alias, prefix removed. */
function groupByAlias(raw: Props, pattern: RegExp): Map<string, Props> {
  const groups = new Map<string, Props>();
  for (const [key, value] of Object.entries(raw)) {
    const m = pattern.exec(key);
    if (!m) continue;
    const [, alias, sub] = m as unknown as [string, string, string];
    let g = groups.get(alias);
    if (!g) groups.set(alias, (g = {}));
    g[sub] = value;
  }
  return groups;
}

function parseAliases(raw: unknown, key: string, errors: ConfigErrorEntry[]): string[] {
  const aliases = parseList(typeof raw === 'string' ? raw : undefined);
  const seen = new Set<string>();
  for (const alias of aliases) {
    if (!ALIAS.test(alias)) errors.push({ key, message: `alias "${alias}" may contain only letters, digits, "_" and "-"` });
    if (seen.has(alias)) errors.push({ key, message: `alias "${alias}" is listed twice` });
    seen.add(alias);
  }
  return [...seen];
}

function parseBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === '') return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

interface PluginGroup {
  alias: string;
  type: string;
  config: Props;
}

/** Validates the keys of one alias group against the plugin named by its `type`. */
function validateGroup(
  group: 'transforms' | 'predicates',
  alias: string,
  keys: Props,
  find: ((name: string) => { config: TSchema } | undefined) | undefined,
  errors: ConfigErrorEntry[],
): PluginGroup | undefined {
  const prefix = `${group}.${alias}.`;
  const { type, ...rest } = keys;
  if (group === 'transforms') {
    delete rest['predicate'];
    delete rest['negate'];
  }
  if (typeof type !== 'string' || type === '') {
    errors.push({ key: `${prefix}type`, message: `is required: the ${group === 'transforms' ? 'transform' : 'predicate'} plugin name` });
    return undefined;
  }
  if (!find) return { alias, type, config: Object.freeze(rest) };
  const def = find(type);
  if (!def) {
    errors.push({ key: `${prefix}type`, message: `unknown ${group === 'transforms' ? 'transform' : 'predicate'} "${type}"` });
    return undefined;
  }
  const result = validateObject(def.config, rest, prefix);
  errors.push(...result.errors);
  return { alias, type, config: Object.freeze(result.data) };
}

function validateChain(config: Props, raw: Props, lookup: TransformLookup | undefined, errors: ConfigErrorEntry[]): TransformSpec[] {
  const transformAliases = parseAliases(config['transforms'], 'transforms', errors);
  const predicateAliases = parseAliases(config['predicates'], 'predicates', errors);
  const transformKeys = groupByAlias(raw, TRANSFORM_KEY);
  const predicateKeys = groupByAlias(raw, PREDICATE_KEY);

  for (const [alias, keys] of transformKeys) {
    if (transformAliases.includes(alias)) continue;
    for (const k of Object.keys(keys)) errors.push({ key: `transforms.${alias}.${k}`, message: `"${alias}" is not listed in transforms` });
  }
  for (const [alias, keys] of predicateKeys) {
    if (predicateAliases.includes(alias)) continue;
    for (const k of Object.keys(keys)) errors.push({ key: `predicates.${alias}.${k}`, message: `"${alias}" is not listed in predicates` });
  }

  const predicates = new Map<string, PredicateSpec>();
  for (const alias of predicateAliases) {
    const spec = validateGroup('predicates', alias, predicateKeys.get(alias) ?? {}, lookup && ((n) => lookup.predicate(n)), errors);
    if (spec) predicates.set(alias, Object.freeze(spec));
  }

  const specs: TransformSpec[] = [];
  for (const alias of transformAliases) {
    const keys = transformKeys.get(alias) ?? {};
    const spec = validateGroup('transforms', alias, keys, lookup && ((n) => lookup.transform(n)), errors);
    const negate = parseBoolean(keys['negate']);
    if (negate === undefined) errors.push({ key: `transforms.${alias}.negate`, message: 'must be true or false' });
    const predicateAlias = keys['predicate'];
    let predicate: PredicateSpec | undefined;
    if (predicateAlias !== undefined && predicateAlias !== '') {
      predicate = predicates.get(String(predicateAlias));
      if (!predicateAliases.includes(String(predicateAlias))) {
        errors.push({ key: `transforms.${alias}.predicate`, message: `"${String(predicateAlias)}" is not listed in predicates` });
      }
    }
    if (spec) specs.push(Object.freeze({ ...spec, negate: negate ?? false, ...(predicate ? { predicate } : {}) }));
  }
  return specs;
}

/**
 * Validates a raw connector config (a string map as stored, placeholders already resolved)
 * against the common keys plus the plugin's schema, and the transform chain keys against the
 * transform and predicate plugins. Returns the typed, frozen config with defaults applied and
 * strings coerced, or every error with its dotted key. Never throws for bad input; a plugin schema
 * that ajv rejects in strict mode (unknown keyword, typo) throws on first use, as a programming error.
 */
export function validateConnectorConfig<C extends object = Record<string, unknown>>(
  pluginSchema: TSchema,
  rawConfig: unknown,
  options: ValidateConnectorOptions & { kind: 'sink' },
): ValidationResult<SinkConnectorConfig & C>;
export function validateConnectorConfig<C extends object = Record<string, unknown>>(
  pluginSchema: TSchema,
  rawConfig: unknown,
  options?: ValidateConnectorOptions,
): ValidationResult<SourceConnectorConfig & C>;
export function validateConnectorConfig(pluginSchema: TSchema, rawConfig: unknown, options: ValidateConnectorOptions = {}): ValidationResult<Props> {
  if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)) {
    return { ok: false, errors: [{ key: '', message: 'the connector config must be a JSON object of key/value pairs' }] };
  }
  const raw = rawConfig as Props;
  const config = structuredClone(raw);
  const validate = compileSchema(mergedSchema(pluginSchema, options.kind ?? 'source'));
  const errors = validate(config) ? [] : toConfigErrors(validate.errors);
  const transforms = validateChain(config, raw, options.lookup, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: Object.freeze(config), transforms: Object.freeze(transforms) };
}
