import type { ConfigErrorEntry } from '../api/index.js';
import { connectorSecretKeys, looksSecret, redactString } from '../config/redact.js';
import { validateConnectorConfig } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import { connectorPlugin, transformLookup, type PluginRegistry } from './plugin-registry.js';
import { hasPlaceholder } from '../config/placeholders.js';
import { MAX_SECRET_CHARS_PER_OWNER, secretValueProblem } from '../observability/secret-scrubber.js';
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
  // Bounded before anything else reads them: a value of thousands of parts would otherwise reach
  // the scrubber of every log line and response.
  checkSecretBounds(raw, config, connectorSecretKeys(config, definition.config, lookup));
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
  return {
    definition,
    config: result.config as ValidatedConfig['config'],
    transforms: result.transforms,
    secrets: [...secrets, ...plain.map(([, value]) => value as string)],
  };
}

/**
 * Refuses secret values the scrubber cannot keep out of logs (too short) or that would swell it
 * (too long, too many parts, too many together), each with its key. Secret are the values of keys
 * marked or named secret, and what a placeholder resolved to in any key; the bounds, not the
 * minimum, apply to the latter (`${env:PORT}` may well be 80).
 */
function checkSecretBounds(raw: RawConfig, config: Readonly<Record<string, unknown>>, marked: ReadonlySet<string>): void {
  const errors: ConfigErrorEntry[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') continue;
    const secretKey = marked.has(key) || looksSecret(key);
    if (!secretKey && !hasPlaceholder(raw[key] ?? '')) continue;
    total += value.length;
    const problem = secretValueProblem(value, { minimum: secretKey });
    if (problem) errors.push({ key, message: problem });
  }
  if (errors.length === 0 && total > MAX_SECRET_CHARS_PER_OWNER) {
    errors.push({
      key: '',
      message: `the secret values of one connector may have at most ${MAX_SECRET_CHARS_PER_OWNER} characters together (these have ${total})`,
    });
  }
  if (errors.length > 0) throw new ConfigError(errors);
}
