import { readConnectorDir } from './connector-files.js';
import type { WorkerClient } from './http-client.js';
import { formatPlan, planApply } from './plan.js';

export interface ApplyOptions {
  dir: string;
  dryRun: boolean;
  prune: boolean;
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
  out(formatPlan(steps));
  if (opts.dryRun) return 0;
  let failed = 0;
  for (const step of steps) {
    try {
      if (step.action === 'create') await client.request('POST', '/connectors', { name: step.name, config: step.config });
      else if (step.action === 'update') await client.request('PUT', `/connectors/${encodeURIComponent(step.name)}/config`, step.config);
      else if (step.action === 'delete') await client.request('DELETE', `/connectors/${encodeURIComponent(step.name)}`);
      else continue;
      out(`${step.action}d ${step.name}`);
    } catch (err) {
      failed += 1;
      out(`error: ${step.action} ${step.name}: ${(err as Error).message}`);
    }
  }
  return failed;
}
