import type { ConfigErrorEntry } from '../api/index.js';
import { connectorSecretKeys, looksSecret, redactString } from '../config/redact.js';
import { validateConnectorConfig } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import { connectorPlugin, transformLookup, type PluginRegistry } from './plugin-registry.js';
import { MIN_SCRUBBED_LENGTH } from '../observability/secret-scrubber.js';
import type { RawConfig, Validated, ValidatedConfig } from './connector-instance.js';

/** Resolves `${env:..}` / `${file:..}` placeholders; returns the values that are secrets. */
export type ConfigResolver = (raw: RawConfig) => Promise<{ config: Record<string, string>; secrets: string[] }>;

/**
 * Validates a raw connector config the way create/update use it: plugin lookup, placeholders,
 * the plugin's schema and its own checks. Throws ConfigError with every error.
 */
export async function validateRawConfig(plugins: PluginRegistry, resolveConfig: ConfigResolver, raw: RawConfig): Promise<Validated> {
  const className = raw['connector.class'];
  const definition = className ? connectorPlugin(plugins, className) : undefined;
  if (!definition) {
    throw new ConfigError([
      {
        key: 'connector.class',
        message: className
          ? `unknown connector plugin '${className}' (known: ${Object.keys(plugins.connectors).join(', ') || 'none'})`
          : 'missing required key',
      },
    ]);
  }
  const { config, secrets } = await resolveConfig(raw);
  const lookup = transformLookup(plugins);
  const result = validateConnectorConfig(definition.config, config, { kind: definition.type, lookup });
  // A rejected config registers nothing (registering before validation let any caller grow the
  // set without bound); its error texts are scrubbed of what was resolved for it instead.
  const refused = (errors: readonly ConfigErrorEntry[]) => new ConfigError(errors.map((e) => ({ key: e.key, message: redactString(e.message, secrets) })));
  if (!result.ok) throw refused(result.errors);
  // Then the plugin's own checks of what its schema cannot express (keys that must agree).
  const checks = definition.validate?.(result.config as never) ?? [];
  if (checks.length > 0) throw refused(checks);
  // Resolved placeholders, and the values of keys the schemas declare secret, are scrubbed from
  // logs, traces and dead-letter headers while the connector runs with this config.
  const marked = connectorSecretKeys(config, definition.config, lookup);
  const plain = Object.entries(config).filter(([key, value]) => (marked.has(key) || looksSecret(key)) && typeof value === 'string');
  const short = plain.filter(([, value]) => (value as string).length > 0 && (value as string).length < MIN_SCRUBBED_LENGTH);
  if (short.length > 0) {
    throw new ConfigError(
      short.map(([key]) => ({ key, message: `a secret must have at least ${MIN_SCRUBBED_LENGTH} characters: a shorter one cannot be kept out of logs` })),
    );
  }
  return {
    definition,
    config: result.config as ValidatedConfig['config'],
    transforms: result.transforms,
    secrets: [...secrets, ...plain.map(([, value]) => value as string)],
  };
}
