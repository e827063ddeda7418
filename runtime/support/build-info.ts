import { execFileSync } from 'node:child_process';
import { projectRoot } from './project-root.js';

/**
 * The git commit this worker runs, for `GET /`: `CONFLUX_COMMIT` when the build set it (an image
 * has no .git), else the checkout's HEAD, else `unknown`. Asked once, at start.
 */
export function buildCommit(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env.CONFLUX_COMMIT?.trim();
  if (fromEnv) return fromEnv;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: projectRoot(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    return /^[0-9a-f]{40}$/.test(head) ? head : 'unknown';
  } catch {
    return 'unknown';
  }
}
