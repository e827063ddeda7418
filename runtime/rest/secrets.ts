import { REDACTED, connectorSecretKeys, redactKeys, redactString } from '../config/redact.js';
import { hasPlaceholder, isPlaceholder } from '../config/placeholders.js';
import { SCRUB_FAILED, type LogManager } from '../observability/logging.js';
import { ScrubFailedError } from './error-handler.js';
import { connectorPlugin, transformLookup, type PluginRegistry } from '../worker/plugin-registry.js';
import { SecretScrubber } from '../observability/secret-scrubber.js';

const PLACEHOLDER_TEXT = /\$\{(?:env|file):[^}]*\}/;

// Response bodies are data the API itself built: deeper than log lines, never cyclic.
const RESPONSE_DEPTH = 64;

/**
 * Redaction for everything the REST layer sends back, by the one rule of runtime/config/redact.ts:
 * secret keys (marked by the plugin's or a transform's schema, or named like a secret) show their
 * placeholders as written and hide literal values; resolved values are scrubbed from every string.
 */
export class Secrets {
  constructor(
    private readonly plugins: PluginRegistry,
    private readonly logs: LogManager,
  ) {}

  /** Keys of `config` that are secret. */
  secretKeysOf(config: Readonly<Record<string, unknown>>, pluginName?: string): Set<string> {
    const className = pluginName ?? config['connector.class'];
    const definition = typeof className === 'string' ? connectorPlugin(this.plugins, className) : undefined;
    return connectorSecretKeys(config, definition?.config, transformLookup(this.plugins));
  }

  /** A copy of a flat config with the literal value of every secret key replaced by `[hidden]`. */
  redactConfig<T extends Record<string, unknown>>(config: T, pluginName?: string): T {
    return redactKeys(config, this.secretKeysOf(config, pluginName));
  }

  /**
   * The literal (non-empty, string) values of the secret keys of `config`, to strip from text.
   * Placeholder references are left out: they reveal nothing, and users need to see them in errors.
   */
  secretValues(config: Readonly<Record<string, unknown>> | undefined, pluginName?: string): string[] {
    if (!config || typeof config !== 'object') return [];
    const marked = this.secretKeysOf(config, pluginName);
    return Object.entries(config)
      .filter(([k, v]) => marked.has(k) && (typeof v === 'string' || typeof v === 'number') && String(v).length > 0)
      .flatMap(([, v]) => String(v).split(PLACEHOLDER_TEXT))
      .filter((v) => v.length > 0);
  }

  /** Removes resolved placeholder secrets (known to the log manager) and `extra` values from text. */
  scrub(text: string, extra: readonly string[] = []): string {
    return redactString(this.logs.scrub(text), extra);
  }

  /**
   * {@link scrub} applied to every string of a response body, object keys included: the one scrub
   * every REST output goes through (see the app's preSerialization hook and error handler).
   */
  scrubBody(value: unknown, extra: readonly string[] = []): unknown {
    const scrubbed = this.logs.scrubDeep(value, RESPONSE_DEPTH);
    // The log manager answers its marker when a scrub fails: no part of such a body is sent.
    if (scrubbed === SCRUB_FAILED) throw new ScrubFailedError();
    if (extra.length === 0) return scrubbed;
    const request = new SecretScrubber();
    request.set('request', extra);
    return request.scrubDeep(scrubbed, 0, RESPONSE_DEPTH);
  }

  /**
   * Values derived from a connector's resolved config (topic names) as shown over REST: a value
   * that the stored config does not spell out literally came from a placeholder and is hidden, so
   * that `topic: ${env:DB_PASSWORD}` cannot be read back through an endpoint without secret keys.
   */
  hideResolved(values: readonly string[], raw: Readonly<Record<string, string>>): string[] {
    const literal = new Set<string>();
    for (const v of Object.values(raw)) {
      if (typeof v !== 'string') continue;
      if (!hasPlaceholder(v)) literal.add(v.trim());
      for (const part of v.split(',')) if (!hasPlaceholder(part)) literal.add(part.trim());
    }
    return values.map((v) => (literal.has(v) ? this.scrub(v) : REDACTED));
  }
  /**
   * Deep redaction of plugin-produced data (task configs): secret keys at any depth are hidden and
   * secret values are stripped from every string, because a task config is derived from the
   * resolved connector config and may carry resolved secrets under any name.
   */
  redactDeep(value: unknown, secretValues: readonly string[], pluginName?: string): unknown {
    if (typeof value === 'string') return this.scrub(value, secretValues);
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v, secretValues));
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    const marked = this.secretKeysOf(record, pluginName);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      // The one redaction rule (config/redact.ts): a placeholder is a reference, shown as written.
      out[k] = isPlaceholder(v) ? v : marked.has(k) && v !== '' && v != null ? REDACTED : this.redactDeep(v, secretValues);
    }
    return out;
  }

  /**
   * A task config with the placeholders of its connector's config put back (Kafka Connect's
   * reverseTransform): a task key that the connector config sets from a placeholder shows the
   * placeholder, not what it resolved to. Keys the plugin renamed (`connection.uri` -> `uri`)
   * hold the resolved value, which the scrub then hides.
   */
  withPlaceholders(taskConfig: unknown, raw: Readonly<Record<string, unknown>>): unknown {
    if (typeof taskConfig !== 'object' || taskConfig === null || Array.isArray(taskConfig)) return taskConfig;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(taskConfig)) out[k] = Object.hasOwn(raw, k) && isPlaceholder(raw[k]) ? raw[k] : v;
    return out;
  }
}
