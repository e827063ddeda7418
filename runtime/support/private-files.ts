import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Files that may hold secrets (connector configs typed with literal passwords, offsets that quote
 * source positions) are readable by the worker's user only, and so is their directory.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Low-level steps of {@link replaceFileAtomically}; replaceable in tests to inject failures. */
export interface FileOps {
  /** Creates `path`, which must not exist yet (O_EXCL), with mode 0600, and fsyncs it. */
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  syncDir(dir: string): Promise<void>;
}

export const privateFileOps: FileOps = {
  async writeFile(path, data) {
    // 'wx' is O_CREAT|O_EXCL: a file or symlink planted at the name makes this fail instead of
    // writing through it.
    const handle = await fsp.open(path, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  async syncDir(dir) {
    // Makes the rename itself durable. Some platforms cannot open a directory; the rename is then
    // as durable as that platform allows.
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(dir, 'r');
      await handle.sync();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err;
    } finally {
      await handle?.close();
    }
  },
};

/** The prefix of the temporary files {@link replaceFileAtomically} leaves behind after a crash. */
export function tempPrefix(path: string): string {
  return `.${basename(path)}.tmp-`;
}

/**
 * Creates `dir` (and its parents) with mode 0700. With `tighten`, an existing directory is set to
 * 0700 too: used for the state directory, which an older version created 0755.
 */
export async function ensurePrivateDir(dir: string, options: { tighten?: boolean } = {}): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (options.tighten) await fsp.chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Replaces `path` with `data` so that a crash leaves the old or the new file, never a torn one:
 * write an unpredictable temporary name in the same directory (created exclusively, 0600),
 * fsync it, rename it over the target, fsync the directory. The directory must exist.
 */
export async function replaceFileAtomically(path: string, data: string, ops: FileOps = privateFileOps): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${tempPrefix(path)}${randomBytes(12).toString('hex')}`);
  try {
    await ops.writeFile(temp, data);
    await ops.rename(temp, path);
  } catch (err) {
    await fsp.rm(temp, { force: true }).catch(() => {});
    throw err;
  }
  await ops.syncDir(dir);
}
