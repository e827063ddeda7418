import type { FastifyRequest } from 'fastify';
import { REDACTED } from '../config/redact.js';
import { ConfigError } from '../errors.js';
import type { LogManager } from '../observability/logging.js';
import type { ConnectorStatus } from '../tasks/status.js';
import type { Herder } from '../herder/herder.js';
import type { ConnectorInfo, RawConfig } from '../worker/worker.js';
import type { HealthProbe } from './health-check.js';
import type { Secrets } from './secrets.js';

/** What every route plugin gets as its options. */
export interface RouteContext {
  herder: Herder;
  logs: LogManager;
  secrets: Secrets;
  version: string;
  commit: string;
  health: HealthProbe | undefined;
  /** True when the request carries the token, or when none is configured. */
  authorized: (request: FastifyRequest) => boolean;
}

/** Kafka Connect accepts numbers and booleans in a config and stores them as strings. */
export function toRawConfig(input: Readonly<Record<string, string | number | boolean>>): RawConfig {
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, String(v)]));
}

/** A connector's info as shown over REST: the config with secret values hidden. */
export function infoView(ctx: RouteContext, info: ConnectorInfo): ConnectorInfo {
  return { ...info, config: ctx.secrets.redactConfig({ ...info.config }), tasks: info.tasks.map((t) => ({ ...t })) };
}

// Keys that say where a connector connects to: a secret kept from the stored config would be
// sent there.
const TARGET_KEY = /(^|\.)(uri|url|urls|host|hosts|hostname|server|servers|endpoint|endpoints|address|port)$/i;

/**
 * A client that GETs a config and PUTs it back sends `[hidden]` for the secret keys; keep the
 * stored value then instead of storing the marker as the new secret. Not when a key naming the
 * connection target changed: the stored secret would then be sent to whatever host the caller
 * names, so the caller must send the secret again.
 */
export function keepHiddenSecrets(ctx: RouteContext, name: string, incoming: RawConfig): RawConfig {
  if (!ctx.herder.has(name)) return incoming;
  const stored = ctx.herder.config(name);
  const secret = ctx.secrets.secretKeysOf(stored);
  const kept = Object.keys(incoming).filter((key) => incoming[key] === REDACTED && secret.has(key) && stored[key] !== undefined);
  if (kept.length === 0) return incoming;
  const retargeted = [...new Set([...Object.keys(stored), ...Object.keys(incoming)])].filter(
    (key) => TARGET_KEY.test(key) && !secret.has(key) && stored[key] !== incoming[key],
  );
  if (retargeted.length > 0) {
    throw new ConfigError(
      kept.map((key) => ({ key, message: `send the secret again: ${retargeted.join(', ')} changed, and a kept secret would go to the new target` })),
    );
  }
  const out: Record<string, string> = { ...incoming };
  for (const key of kept) out[key] = stored[key]!;
  return out;
}

/** A connector's status as shown over REST: failure traces without secret values. */
export function statusView(ctx: RouteContext, name: string): ConnectorStatus {
  const status = ctx.herder.status(name);
  const values = ctx.secrets.secretValues(ctx.herder.config(name));
  const scrub = <T extends { trace?: string }>(s: T): T => (s.trace ? { ...s, trace: ctx.secrets.scrub(s.trace, values) } : { ...s });
  return { ...status, connector: scrub(status.connector), tasks: status.tasks.map(scrub) };
}
