import type { ConnectorDefinition, PredicateDefinition, TransformDefinition } from '../api/index.js';
import { lookupFromMaps, type TransformLookup } from '../config/validate.js';

/** Every plugin a worker can run. Explicit maps: nothing registers itself by being imported. */
export interface PluginRegistry {
  readonly connectors: Readonly<Record<string, ConnectorDefinition>>;
  readonly transforms: Readonly<Record<string, TransformDefinition>>;
  readonly predicates: Readonly<Record<string, PredicateDefinition>>;
}

export function connectorPlugin(plugins: PluginRegistry, name: string): ConnectorDefinition | undefined {
  return Object.hasOwn(plugins.connectors, name) ? plugins.connectors[name] : undefined;
}

export function transformLookup(plugins: PluginRegistry): TransformLookup {
  return lookupFromMaps(plugins.transforms, plugins.predicates);
}
