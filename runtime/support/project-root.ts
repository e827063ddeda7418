import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { dir: string; version: string } | undefined;

/**
 * The checkout (or installed package) conflux runs from: the nearest directory above this module
 * whose package.json is conflux's. Found by walking up because the same module runs from the
 * sources (runtime/) and from a build (dist/runtime/), one level deeper.
 */
function find(): { dir: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'conflux') return (cached = { dir, version: pkg.version ?? '0.0.0' });
    } catch {
      // not here; keep walking up
    }
  }
  throw new Error(`conflux's package.json was not found above ${fileURLToPath(import.meta.url)}`);
}

/** The directory that holds conflux's package.json, config/, sql/ and scripts/. */
export const projectRoot = (): string => find().dir;

/** The version in conflux's package.json. */
export const packageVersion = (): string => find().version;
