import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensurePrivateDir, replaceFileAtomically } from '../support/private-files.js';
import type { TargetState } from '../tasks/status.js';
import type { ConnectorConfigStore, RawConfig } from '../worker/worker.js';

type Saved = Map<string, { config: RawConfig; target: TargetState }>;

/**
 * Connector configs and desired states of a standalone worker, in one JSON file under the state
 * directory, so that connectors created or changed through the API come back after a restart.
 * Configs are stored unresolved: placeholders stay placeholders. A secret typed as plain text does
 * reach the disk, so the file is 0600 in a 0700 directory.
 */
export class FileConnectorConfigStore implements ConnectorConfigStore {
  // A Map, not an object: a connector named "__proto__" must be an entry like any other.
  private saved: Saved = new Map();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async load(): Promise<Array<{ name: string; config: RawConfig; target: TargetState }>> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, { config: RawConfig; target: TargetState }>;
      this.saved = new Map(Object.entries(parsed));
    } catch (err) {
      // The parser's message may quote the file's text, which may hold secrets: name the file only,
      // and keep the parser's error out of the chain.
      // eslint-disable-next-line preserve-caught-error
      if (err instanceof SyntaxError) throw new Error(`${this.path} is not valid JSON; move it aside to start without saved connectors`);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
      this.saved = new Map();
    }
    return [...this.saved].map(([name, v]) => ({ name, config: v.config, target: v.target }));
  }

  save(name: string, config: RawConfig, target: TargetState): Promise<void> {
    this.saved.set(name, { config, target });
    return this.write();
  }

  remove(name: string): Promise<void> {
    this.saved.delete(name);
    return this.write();
  }

  private write(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.saved), null, 2);
    // A failed write is reported to its caller; it must not poison every later one.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await ensurePrivateDir(dirname(this.path), { tighten: true });
        await replaceFileAtomically(this.path, snapshot);
      });
    return this.writing;
  }
}
