import { OffsetTable } from './offset-table.js';
import type { OffsetEntry, OffsetStore, OffsetWrite, SourceOffset, SourcePartition } from './store.js';

/** An offset store that forgets everything on exit; for tests and throwaway runs. */
export class MemoryOffsetStore implements OffsetStore {
  private readonly table = new OffsetTable();

  async start(): Promise<void> {}

  async get(connector: string, partition: SourcePartition): Promise<SourceOffset | undefined> {
    return this.table.get(connector, partition);
  }

  async getAll(connector: string): Promise<OffsetEntry[]> {
    return this.table.getAll(connector);
  }

  async set(connector: string, entries: readonly OffsetWrite[]): Promise<void> {
    this.table.set(connector, entries);
  }

  async deleteAll(connector: string): Promise<void> {
    this.table.deleteAll(connector);
  }

  async flush(): Promise<void> {}

  async stop(): Promise<void> {}
}
