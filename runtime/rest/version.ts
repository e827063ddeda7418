import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The version in conflux's package.json. Looked up by walking up from this file because the
 * module runs both from source (runtime/rest/) and compiled (dist/runtime/rest/).
 */
export function packageVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'conflux' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here; keep walking up
    }
  }
  return (cached = '0.0.0');
}
