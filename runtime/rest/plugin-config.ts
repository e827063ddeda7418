import type { TSchema } from 'typebox';
import type { ConnectorDefinition } from '../api/index.js';
import { isSecretSchema } from '../api/schema.js';
import { PREDICATE_KEY, TRANSFORM_KEY, connectorProperties } from '../config/connector-schema.js';
import { REDACTED } from '../config/redact.js';
import type { ConfigErrorEntry } from '../errors.js';
import { transformLookup, type PluginRegistry } from '../worker/plugin-registry.js';

/** Kafka Connect's ConfigKeyInfo, plus `secret`; derived from a plugin's TypeBox schema. */
export interface ConfigKeyInfo {
  name: string;
  type: 'STRING' | 'INT' | 'DOUBLE' | 'BOOLEAN' | 'LIST' | 'PASSWORD';
  required: boolean;
  default_value: string | null;
  importance: 'HIGH' | 'MEDIUM';
  documentation: string;
  group: string;
  width: 'NONE';
  display_name: string;
  dependents: string[];
  order: number;
  secret: boolean;
}

export interface ConfigValueInfo {
  name: string;
  value: string | null;
  recommended_values: string[];
  errors: string[];
  visible: boolean;
}

/** Kafka Connect's ConfigInfos: the body of `PUT /connector-plugins/:plugin/config/validate`. */
export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{ definition: ConfigKeyInfo; value: ConfigValueInfo }>;
}

type Prop = Record<string, unknown>;

// Keys whose values are comma-separated lists (parsed with parseList by the runtime).
const LIST_KEYS = new Set(['topics', 'transforms', 'predicates']);

function keyType(name: string, prop: Prop): ConfigKeyInfo['type'] {
  if (isSecretSchema(prop)) return 'PASSWORD';
  if (LIST_KEYS.has(name)) return 'LIST';
  if (prop['type'] === 'integer') return 'INT';
  if (prop['type'] === 'number') return 'DOUBLE';
  if (prop['type'] === 'boolean') return 'BOOLEAN';
  return 'STRING';
}

/** Allowed values of an enum or a union of literals, as strings. */
export function allowedValues(prop: Prop): string[] {
  if (Array.isArray(prop['enum'])) return (prop['enum'] as unknown[]).map(String);
  const branches = (prop['anyOf'] ?? prop['oneOf']) as Prop[] | undefined;
  if (Array.isArray(branches) && branches.every((b) => 'const' in b)) return branches.map((b) => String(b['const']));
  return [];
}

function commonGroup(key: string): string {
  if (key.startsWith('errors.')) return 'Error Handling';
  if (key === 'transforms') return 'Transforms';
  if (key === 'predicates') return 'Predicates';
  return 'Common';
}

function describe(name: string, prop: Prop, required: boolean, group: string, order: number): ConfigKeyInfo {
  const hasDefault = prop['default'] !== undefined;
  const isRequired = required && !hasDefault;
  return {
    name,
    type: keyType(name, prop),
    required: isRequired,
    default_value: hasDefault ? String(prop['default']) : null,
    importance: isRequired ? 'HIGH' : 'MEDIUM',
    documentation: typeof prop['description'] === 'string' ? prop['description'] : '',
    group,
    width: 'NONE',
    display_name: name,
    dependents: [],
    order,
    secret: isSecretSchema(prop),
  };
}

function properties(schema: TSchema | { properties?: Prop; required?: string[] }): { props: Record<string, Prop>; required: Set<string> } {
  const s = schema as { properties?: Record<string, Prop>; required?: string[] };
  return { props: s.properties ?? {}, required: new Set(s.required ?? []) };
}

/**
 * Descriptors of every key a plugin accepts. For a connector: the common keys (Kafka Connect's
 * names) followed by the plugin's own; a plugin key with the same name as a common key replaces it.
 * For a transform or predicate: its keys as written after `transforms.<alias>.`.
 */
export function describePlugin(schema: TSchema, pluginName: string, connectorType?: 'source' | 'sink', prefix = ''): ConfigKeyInfo[] {
  const out = new Map<string, { prop: Prop; required: boolean; group: string }>();
  if (connectorType) {
    const common = connectorProperties(connectorType);
    const req = new Set(['connector.class', ...(connectorType === 'sink' ? ['topics'] : [])]);
    for (const [k, p] of Object.entries(common)) out.set(k, { prop: p as unknown as Prop, required: req.has(k), group: commonGroup(k) });
  }
  const { props, required } = properties(schema);
  for (const [k, p] of Object.entries(props)) {
    out.delete(prefix + k);
    out.set(prefix + k, { prop: p, required: required.has(k), group: pluginName });
  }
  return [...out].map(([k, v], i) => describe(k, v.prop, v.required, v.group, i + 1));
}

function genericKey(name: string, group: string, documentation: string): ConfigKeyInfo {
  return describe(name, { description: documentation }, false, group, 0);
}

/** Descriptors of the `transforms.<alias>.*` / `predicates.<alias>.*` keys present in a config. */
function chainKeys(config: Readonly<Record<string, string>>, plugins: PluginRegistry): ConfigKeyInfo[] {
  const lookup = transformLookup(plugins);
  const out: ConfigKeyInfo[] = [];
  for (const [key, value] of Object.entries(config)) {
    const t = TRANSFORM_KEY.exec(key);
    const p = PREDICATE_KEY.exec(key);
    if ((t?.[2] ?? p?.[2]) !== 'type') continue;
    const group = `${t ? 'Transforms' : 'Predicates'}: ${(t ?? p)![1]}`;
    const prefix = key.slice(0, -'type'.length);
    out.push({ ...genericKey(key, group, `Name of the ${t ? 'transform' : 'predicate'} plugin.`), required: true, importance: 'HIGH' });
    if (t) {
      out.push(genericKey(`${prefix}predicate`, group, 'Alias of the predicate deciding whether this transform applies.'));
      out.push({ ...genericKey(`${prefix}negate`, group, 'Apply the transform when the predicate does not match.'), type: 'BOOLEAN', default_value: 'false' });
    }
    const def = t ? lookup.transform(value) : lookup.predicate(value);
    if (def) out.push(...describePlugin(def.config, group, undefined, prefix));
  }
  return out;
}

/**
 * Builds Kafka Connect's ConfigInfos for a connector config: one entry per known key, per key
 * present in the config, and per key named by an error; secret values hidden.
 */
export function configInfos(
  definition: ConnectorDefinition,
  config: Readonly<Record<string, string>>,
  errors: readonly ConfigErrorEntry[],
  plugins: PluginRegistry,
  secretKeys: ReadonlySet<string>,
): ConfigInfos {
  const keys = new Map<string, ConfigKeyInfo>();
  for (const d of [...describePlugin(definition.config, definition.name, definition.type), ...chainKeys(config, plugins)]) keys.set(d.name, d);
  for (const k of Object.keys(config)) if (!keys.has(k)) keys.set(k, genericKey(k, 'Unknown', 'Not a configuration key of this plugin.'));
  for (const e of errors) if (!keys.has(e.key)) keys.set(e.key, genericKey(e.key, 'Common', ''));

  const common = connectorProperties(definition.type) as unknown as Record<string, Prop>;
  const schemaProps: Record<string, Prop> = { ...common, ...properties(definition.config).props };
  const configs = [...keys.values()].map((definition, order) => {
    const raw = config[definition.name];
    const shown = raw ?? definition.default_value;
    const hidden = (secretKeys.has(definition.name) || definition.secret) && shown !== null && shown !== '';
    return {
      definition: { ...definition, order: order + 1 },
      value: {
        name: definition.name,
        value: hidden ? REDACTED : shown,
        recommended_values: allowedValues(schemaProps[definition.name] ?? {}),
        errors: errors.filter((e) => e.key === definition.name).map((e) => e.message),
        visible: true,
      },
    };
  });
  const groups = [...new Set(configs.map((c) => c.definition.group))];
  return { name: definition.name, error_count: errors.length, groups, configs };
}
