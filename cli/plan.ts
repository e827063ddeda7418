import { REDACTED, hasPlaceholder, looksSecret } from '../runtime/config/index.js';
import type { ConnectorFile } from './connector-files.js';

export type PlanStep =
  | { action: 'create'; name: string; config: Record<string, string> }
  | { action: 'update'; name: string; config: Record<string, string>; changes: KeyChange[] }
  | { action: 'delete'; name: string }
  | { action: 'unchanged'; name: string };

export interface KeyChange {
  key: string;
  from?: string;
  to?: string;
}

/**
 * Compares the connector files with what the worker runs. A remote value shown as `[hidden]` is a
 * secret the worker never reveals: it cannot be compared, so it never counts as a change on its
 * own (keep secrets as `${env:..}` placeholders and their changes show up in the files).
 * Without `prune`, connectors that have no file are left alone.
 */
export function planApply(files: readonly ConnectorFile[], current: Readonly<Record<string, Readonly<Record<string, string>>>>, prune: boolean): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const file of files) {
    const remote = current[file.name];
    if (!remote) {
      steps.push({ action: 'create', name: file.name, config: file.config });
      continue;
    }
    const changes = diff(remote, file.config);
    steps.push(changes.length > 0 ? { action: 'update', name: file.name, config: file.config, changes } : { action: 'unchanged', name: file.name });
  }
  if (prune) {
    const wanted = new Set(files.map((f) => f.name));
    for (const name of Object.keys(current).sort()) if (!wanted.has(name)) steps.push({ action: 'delete', name });
  }
  return steps;
}

function diff(remote: Readonly<Record<string, string>>, local: Readonly<Record<string, string>>): KeyChange[] {
  const changes: KeyChange[] = [];
  const keys = [...new Set([...Object.keys(remote), ...Object.keys(local)])].sort();
  for (const key of keys) {
    const from = remote[key];
    const to = local[key];
    if (from === to || from === REDACTED) continue;
    // The worker may add `name` to a stored config; it is not a user change.
    if (key === 'name' && to === undefined) continue;
    changes.push({ key, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return changes;
}

/** What the plan prints for a value that a key holds: secrets typed in literally are not printed. */
export const SENSITIVE = '(sensitive value)';

/** Whether a key of a connector's config is secret by its plugin schemas (see apply-command). */
export type SecretKeyTest = (connector: string, key: string) => boolean;

function shown(secret: boolean, value: string | undefined): string | undefined {
  if (value === undefined || value === REDACTED) return value;
  return secret && !hasPlaceholder(value) ? SENSITIVE : value;
}

/**
 * The plan as a readable diff, one line per connector and per changed key. The value of a key
 * that is secret (by its name, or by `isSecret`: the plugin schemas) is printed as
 * `(sensitive value)` unless it is a placeholder, as Terraform does: the plan goes to terminals
 * and CI logs.
 */
export function formatPlan(steps: readonly PlanStep[], isSecret: SecretKeyTest = () => false): string {
  const lines: string[] = [];
  const secret = (name: string, key: string) => looksSecret(key) || isSecret(name, key);
  for (const step of steps) {
    switch (step.action) {
      case 'create':
        lines.push(`+ create ${step.name}`);
        for (const [k, v] of Object.entries(step.config)) lines.push(`    + ${k} = ${shown(secret(step.name, k), v)}`);
        break;
      case 'update':
        lines.push(`~ update ${step.name}`);
        for (const c of step.changes) {
          const from = shown(secret(step.name, c.key), c.from);
          const to = shown(secret(step.name, c.key), c.to);
          if (from === undefined) lines.push(`    + ${c.key} = ${to}`);
          else if (to === undefined) lines.push(`    - ${c.key} = ${from}`);
          else lines.push(`    ~ ${c.key}: ${from} -> ${to}`);
        }
        break;
      case 'delete':
        lines.push(`- delete ${step.name}`);
        break;
      case 'unchanged':
        lines.push(`= unchanged ${step.name}`);
        break;
    }
  }
  const count = (a: PlanStep['action']) => steps.filter((s) => s.action === a).length;
  lines.push(`Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`);
  return lines.join('\n');
}
