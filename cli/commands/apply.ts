import { readConnectorDir } from '../connector-files.js';
import { backoffDelay } from '../../runtime/api/index.js';
import { HttpError, type WorkerClient } from '../http-client.js';
import { TRANSFORM_KEY, PREDICATE_KEY } from '../../runtime/config/connector-schema.js';
import type { ConnectorFile } from '../connector-files.js';
import { formatPlan, planApply, type SecretKeyTest } from '../plan.js';

export interface ApplyOptions {
  dir: string;
  dryRun: boolean;
  prune: boolean;
  /** How long a step answered 409 (a cluster rebalancing) is asked again; a minute by default. */
  conflictRetryMs?: number;
}

const CONFLICT_RETRY_MS = 60_000;

/**
 * Runs `request` again while the worker answers 409: a cluster answers writes so while it
 * rebalances ("try again in a moment"), which passes within seconds.
 */
async function retryingConflicts<T>(request: () => Promise<T>, boundMs: number, onRetry: (delayMs: number) => void): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const delayMs = Math.min(backoffDelay(attempt, 250, 5_000), deadline - Date.now());
      if (!(err instanceof HttpError) || err.status !== 409 || delayMs <= 0) throw err;
      onRetry(delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * `conflux apply <dir>`: makes a running worker match the connector files (GitOps). Prints the
 * plan first; with --dry-run stops there. Updates only what really changed. Returns the number of
 * failed steps.
 */
export async function applyDir(client: WorkerClient, opts: ApplyOptions, out: (line: string) => void): Promise<number> {
  const files = await readConnectorDir(opts.dir);
  const current = await client.request<Record<string, { info: { config: Record<string, string> } }>>('GET', '/connectors?expand=info');
  const configs = Object.fromEntries(Object.entries(current).map(([name, v]) => [name, v.info.config]));
  const steps = planApply(files, configs, opts.prune);
  out(formatPlan(steps, await secretKeysOf(client, files)));
  if (opts.dryRun) return 0;
  let failed = 0;
  const bound = opts.conflictRetryMs ?? CONFLICT_RETRY_MS;
  for (const step of steps) {
    const send = () => {
      if (step.action === 'create') return client.request('POST', '/connectors', { name: step.name, config: step.config });
      if (step.action === 'update') return client.request('PUT', `/connectors/${encodeURIComponent(step.name)}/config`, step.config);
      return client.request('DELETE', `/connectors/${encodeURIComponent(step.name)}`);
    };
    if (step.action !== 'create' && step.action !== 'update' && step.action !== 'delete') continue;
    try {
      await retryingConflicts(send, bound, (ms) => out(`${step.action} ${step.name}: the worker answered 409 (rebalancing); asking again in ${ms} ms`));
      out(`${step.action}d ${step.name}`);
    } catch (err) {
      failed += 1;
      out(`error: ${step.action} ${step.name}: ${(err as Error).message}`);
    }
  }
  return failed;
}

/**
 * The keys the worker's plugin schemas declare secret (`GET /connector-plugins/:plugin/config`),
 * for the connector class and the transforms and predicates of each file. A plugin the worker
 * does not know adds nothing: creating that connector fails anyway.
 */
async function secretKeysOf(client: WorkerClient, files: readonly ConnectorFile[]): Promise<SecretKeyTest> {
  const byPlugin = new Map<string, Promise<Set<string>>>();
  const pluginSecrets = (plugin: string) => {
    let keys = byPlugin.get(plugin);
    if (!keys) {
      keys = client
        .request<Array<{ name: string; secret?: boolean }>>('GET', `/connector-plugins/${encodeURIComponent(plugin)}/config`)
        .then((infos) => new Set(infos.filter((i) => i.secret).map((i) => i.name)))
        .catch(() => new Set<string>());
      byPlugin.set(plugin, keys);
    }
    return keys;
  };
  const secret = new Map<string, Set<string>>();
  for (const file of files) {
    const keys = new Set<string>();
    const cls = file.config['connector.class'];
    if (cls) for (const k of await pluginSecrets(cls)) keys.add(k);
    for (const [key, value] of Object.entries(file.config)) {
      const m = TRANSFORM_KEY.exec(key) ?? PREDICATE_KEY.exec(key);
      if (m?.[2] !== 'type') continue;
      const prefix = key.slice(0, -'type'.length);
      for (const k of await pluginSecrets(value)) keys.add(prefix + k);
    }
    secret.set(file.name, keys);
  }
  return (connector, key) => secret.get(connector)?.has(key) ?? false;
}
