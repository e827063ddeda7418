import { ConfigError } from '../api/index.js';
import { resolvePlaceholders } from './placeholders.js';
import { unrestrictedSources } from './providers.js';
import { validateWorkerConfig, type WorkerConfig } from './worker-schema.js';

/** Resolves placeholders in a worker config and validates it; throws ConfigError with every error. */
export async function loadWorkerConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ config: WorkerConfig; secrets: readonly string[] }> {
  // The operator's own file: its placeholders may read anything the worker process can.
  const resolved = await resolvePlaceholders(raw, unrestrictedSources(env));
  if (!resolved.ok) throw new ConfigError(resolved.errors);
  const validated = validateWorkerConfig(resolved.config);
  if (!validated.ok) throw new ConfigError(validated.errors);
  return { config: validated.config, secrets: resolved.secrets };
}
