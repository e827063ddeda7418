import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TargetState } from './status.js';
import type { ConnectorConfigStore, RawConfig } from './worker.js';

type Saved = Record<string, { config: RawConfig; target: TargetState }>;

/**
 * Connector configs and desired states of a standalone worker, in one JSON file under the state
 * directory, so that connectors created or changed through the API come back after a restart.
 * Configs are stored unresolved: placeholders stay placeholders, secrets never reach the disk.
 */
export class FileConnectorConfigStore implements ConnectorConfigStore {
  private saved: Saved = {};
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async load(): Promise<Array<{ name: string; config: RawConfig; target: TargetState }>> {
    try {
      this.saved = JSON.parse(await readFile(this.path, 'utf8')) as Saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
      this.saved = {};
    }
    return Object.entries(this.saved).map(([name, v]) => ({ name, config: v.config, target: v.target }));
  }

  save(name: string, config: RawConfig, target: TargetState): Promise<void> {
    this.saved[name] = { config, target };
    return this.write();
  }

  remove(name: string): Promise<void> {
    delete this.saved[name];
    return this.write();
  }

  private write(): Promise<void> {
    const snapshot = JSON.stringify(this.saved, null, 2);
    // A failed write is reported to its caller; it must not poison every later one.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const temp = `${this.path}.tmp`;
      await writeFile(temp, snapshot);
      const handle = await open(temp, 'r');
      await handle.sync();
      await handle.close();
      await rename(temp, this.path);
    });
    return this.writing;
  }
}
