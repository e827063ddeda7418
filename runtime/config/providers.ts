import { constants, promises as fsp } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PlaceholderRefusedError, type PlaceholderSources } from './placeholders.js';

/** Largest properties file a `${file:..}` placeholder may read. */
export const MAX_PROVIDER_FILE_BYTES = 1024 * 1024;

export interface ProviderPolicy {
  /** Directories (absolute or relative to the working directory) `${file:..}` may read below. */
  readonly allowedPaths: readonly string[];
  /** Variable names `${env:..}` may read; an entry ending in `*` is a prefix. */
  readonly envAllowlist: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly maxFileBytes?: number;
}

/**
 * The worker's own variables. A prefix entry (`CONFLUX_*`, the default) never reaches them: a
 * connector config that could read `${env:CONFLUX_REST_TOKEN}` would put the worker's REST token
 * into a value its author sees (a topic, a log line of the target system). Only an entry naming
 * one exactly allows it.
 */
export const WORKER_VARIABLES: ReadonlySet<string> = new Set(['CONFLUX_REST_TOKEN', 'CONFLUX_URL', 'CONFLUX_LOG_LEVEL', 'CONFLUX_COMMIT']);

/** A matcher for `config.providers.env.allowlist`: exact names, or prefixes written `PREFIX*`. */
export function envMatcher(allowlist: readonly string[]): (name: string) => boolean {
  const exact = new Set(allowlist.filter((n) => !n.endsWith('*')));
  const prefixes = allowlist.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || (!WORKER_VARIABLES.has(name) && prefixes.some((p) => name.startsWith(p)));
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Placeholder sources for connector configs, bounded like Kafka Connect's `allowed.paths`
 * (KIP-993) and its environment provider allow-list. A file is read only when its real path (every
 * symlink resolved) lies below one of the allowed directories, it is a regular file (never a FIFO or
 * a device, which would block or never end) and it is no larger than the cap. A path outside the
 * directories is refused before the disk is touched; every other failure reads the same to the
 * caller, so the answer says nothing about what exists.
 */
export function restrictedSources(policy: ProviderPolicy): PlaceholderSources {
  const maxBytes = policy.maxFileBytes ?? MAX_PROVIDER_FILE_BYTES;
  const dirs = policy.allowedPaths.map((d) => resolve(d));
  let realDirs: Promise<string[]> | undefined;
  const refused = () => new PlaceholderRefusedError(`the path is outside config.providers.file.allowed.paths`);
  return {
    env: policy.env,
    allowEnv: envMatcher(policy.envAllowlist),
    readFile: async (path) => {
      const wanted = resolve(path);
      if (!dirs.some((d) => inside(d, wanted))) throw refused();
      realDirs ??= Promise.all(dirs.map((d) => fsp.realpath(d).catch(() => d)));
      const real = await fsp.realpath(wanted);
      // A symlink below an allowed directory that points elsewhere is a failure like any other.
      if (!(await realDirs).some((d) => inside(d, real))) throw new Error('not below an allowed path');
      // O_NONBLOCK: opening a FIFO must not wait for a writer; it is then rejected as not a file.
      const handle = await fsp.open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw new Error('not a regular file');
        if (stat.size > maxBytes) throw new Error('file too large');
        const buffer = Buffer.alloc(maxBytes + 1);
        const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
        if (bytesRead > maxBytes) throw new Error('file too large');
        return buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    },
  };
}

/** The worker's own config is the operator's: its placeholders read any file and any variable. */
export function unrestrictedSources(env: Readonly<Record<string, string | undefined>>): PlaceholderSources {
  return { env, readFile: (path) => fsp.readFile(path, 'utf8') };
}
