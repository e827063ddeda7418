import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { FatalError } from '../api/errors.js';
import { ensurePrivateDir, privateFileOps, replaceFileAtomically, tempPrefix, type FileOps } from '../support/private-files.js';
import { OffsetTable } from './offset-table.js';
import { validateOffsetWrites } from './offset-value.js';
import type { OffsetEntry, OffsetStore, OffsetWrite, SourceOffset, SourcePartition } from './store.js';

const FORMAT_VERSION = 1;

export type { FileOps } from '../support/private-files.js';

export interface FileOffsetStoreOptions {
  readonly fileOps?: Partial<FileOps>;
}

/**
 * Offsets in one JSON file, for standalone mode. Every `set` rewrites the whole file atomically:
 * write a temporary file in the same directory, fsync it, rename it over the target, fsync the
 * directory. A crash at any point leaves either the old or the new file, never a torn one.
 * Writes are serialised and coalesced: while one write runs, later `set` calls share the next.
 *
 * The file belongs to one worker; temporary files left by a crashed predecessor are removed on
 * start.
 */
export class FileOffsetStore implements OffsetStore {
  private readonly table = new OffsetTable();
  private readonly ops: FileOps;
  private readonly dir: string;
  private readonly tempPrefix: string;
  private writing: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private started = false;

  constructor(
    private readonly path: string,
    options: FileOffsetStoreOptions = {},
  ) {
    this.ops = { ...privateFileOps, ...options.fileOps };
    this.dir = dirname(path);
    this.tempPrefix = tempPrefix(path);
  }

  async start(): Promise<void> {
    await ensurePrivateDir(this.dir);
    for (const name of await fsp.readdir(this.dir)) {
      if (name.startsWith(this.tempPrefix)) await fsp.rm(join(this.dir, name), { force: true });
    }
    let text: string;
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.started = true;
      return;
    }
    for (const [connector, entries] of Object.entries(parse(text, this.path))) this.table.set(connector, entries);
    this.started = true;
  }

  async get(connector: string, partition: SourcePartition): Promise<SourceOffset | undefined> {
    this.assertStarted();
    return this.table.get(connector, partition);
  }

  async getAll(connector: string): Promise<OffsetEntry[]> {
    this.assertStarted();
    return this.table.getAll(connector);
  }

  async set(connector: string, entries: readonly OffsetWrite[]): Promise<void> {
    this.assertStarted();
    this.table.set(connector, entries);
    return this.persist();
  }

  async deleteAll(connector: string): Promise<void> {
    this.assertStarted();
    this.table.deleteAll(connector);
    return this.persist();
  }

  async flush(): Promise<void> {
    await (this.next ?? this.writing);
  }

  async stop(): Promise<void> {
    await this.flush().catch(() => {
      // The failed write was already reported to its caller through set(); stopping must not fail twice.
    });
  }

  private assertStarted(): void {
    if (!this.started) throw new Error('FileOffsetStore used before start()');
  }

  /** Schedules a write of the current table after the running one; concurrent callers share it. */
  private persist(): Promise<void> {
    if (this.next) return this.next;
    const next = this.writing
      .catch(() => {})
      .then(() => {
        // From here on, changes need another write: this one snapshots the table now.
        this.next = undefined;
        return this.writeFile(JSON.stringify({ version: FORMAT_VERSION, connectors: this.table.toJSON() }) + '\n');
      });
    this.next = next;
    this.writing = next;
    return next;
  }

  private writeFile(data: string): Promise<void> {
    return replaceFileAtomically(this.path, data, this.ops);
  }
}

function parse(text: string, path: string): Record<string, OffsetEntry[]> {
  const hint = `move ${path} aside to start without offsets (sources then start from their configured position)`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message may quote the file's text (offsets can hold secrets): name the file only.
    throw new FatalError(`offset file ${path} is not valid JSON; ${hint}`);
  }
  const d = doc as { version?: unknown; connectors?: unknown };
  if (typeof doc !== 'object' || doc === null || d.version !== FORMAT_VERSION || typeof d.connectors !== 'object' || d.connectors === null) {
    throw new FatalError(`offset file ${path} is not a conflux offset file of version ${FORMAT_VERSION}; ${hint}`);
  }
  const out: Record<string, OffsetEntry[]> = {};
  for (const [connector, entries] of Object.entries(d.connectors)) {
    if (!Array.isArray(entries) || !entries.every(isEntry)) {
      throw new FatalError(`offset file ${path} has malformed entries for connector ${connector}; ${hint}`);
    }
    try {
      validateOffsetWrites(connector, entries);
    } catch (err) {
      throw new FatalError(`offset file ${path}: ${(err as Error).message}; ${hint}`);
    }
    out[connector] = entries;
  }
  return out;
}

function isEntry(value: unknown): value is OffsetEntry {
  const e = value as { partition?: unknown; offset?: unknown } | null;
  return typeof e === 'object' && e !== null && isObject(e.partition) && isObject(e.offset);
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
