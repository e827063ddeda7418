import { validateOffsetWrites } from './offset-value.js';
import { stableKey } from './stable-key.js';
import type { OffsetEntry, OffsetWrite, SourceOffset, SourcePartition } from './store.js';

/** The in-memory view shared by the store implementations: connector -> partition key -> entry. */
export class OffsetTable {
  private readonly connectors = new Map<string, Map<string, OffsetEntry>>();

  get(connector: string, partition: SourcePartition): SourceOffset | undefined {
    return this.connectors.get(connector)?.get(stableKey(partition))?.offset;
  }

  getAll(connector: string): OffsetEntry[] {
    return [...(this.connectors.get(connector)?.values() ?? [])];
  }

  /** Throws BadRequestError, changing nothing, when an entry is not storable JSON. */
  set(connector: string, entries: readonly OffsetWrite[]): void {
    validateOffsetWrites(connector, entries);
    let table = this.connectors.get(connector);
    if (!table) this.connectors.set(connector, (table = new Map()));
    for (const { partition, offset } of entries) {
      const key = stableKey(partition);
      // Stored copies are detached from the caller's objects, which may be reused or mutated.
      if (offset === null) table.delete(key);
      else table.set(key, Object.freeze({ partition: structuredClone(partition), offset: structuredClone(offset) }));
    }
    if (table.size === 0) this.connectors.delete(connector);
  }

  deleteAll(connector: string): void {
    this.connectors.delete(connector);
  }

  toJSON(): Record<string, OffsetEntry[]> {
    const out: Record<string, OffsetEntry[]> = {};
    for (const name of [...this.connectors.keys()].sort()) out[name] = this.getAll(name);
    return out;
  }
}
