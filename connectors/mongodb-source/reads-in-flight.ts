import type { SourceRecord } from '../../runtime/api/index.js';

/** What ReadsInFlight reads from (a CollectionReader). */
export interface RecordReader {
  /** Appends up to `room` records to `out`. */
  read(out: SourceRecord[], room: number): Promise<void>;
}

interface Read {
  readonly reader: RecordReader;
  readonly records: SourceRecord[];
  settled: boolean;
  error?: { cause: unknown };
  readonly done: Promise<void>;
}

/**
 * The reads of a task's collections, run at once: a poll returns as soon as one collection has
 * records (or all came back empty), and a read still waiting on a quiet collection's getMore
 * goes on into the next poll instead of holding the others back. Each collection has at most one
 * read at a time, so its records keep their order.
 */
export class ReadsInFlight {
  private reads = new Map<RecordReader, Read>();

  constructor(private readonly room: number) {}

  /** Starts a read on every reader without one; resolves with the records of the reads that ended. */
  async poll(readers: readonly RecordReader[]): Promise<SourceRecord[]> {
    for (const reader of readers) if (!this.reads.has(reader)) this.reads.set(reader, this.start(reader));
    const all = [...this.reads.values()];
    if (!all.some((r) => r.settled && (r.records.length > 0 || r.error))) {
      const withRecords = all.map((r) => r.done.then(() => (r.records.length > 0 || r.error ? undefined : new Promise<never>(() => undefined))));
      await Promise.race([Promise.all(all.map((r) => r.done)), ...withRecords]);
    }
    const failed = all.find((r) => r.settled && r.error);
    if (failed) {
      // The other ended reads stay here, so their records go out with the next poll.
      this.reads.delete(failed.reader);
      throw failed.error!.cause;
    }
    const out: SourceRecord[] = [];
    for (const read of all) {
      if (!read.settled) continue;
      out.push(...read.records);
      this.reads.delete(read.reader);
    }
    return out;
  }

  /** Forgets the reads still waiting: their readers are being closed, which ends them. */
  clear(): void {
    this.reads = new Map();
  }

  private start(reader: RecordReader): Read {
    const read: Omit<Read, 'done'> & { done?: Promise<void> } = { reader, records: [], settled: false };
    read.done = reader.read(read.records, this.room).then(
      () => {
        read.settled = true;
      },
      (cause: unknown) => {
        read.settled = true;
        read.error = { cause };
      },
    );
    return read as Read;
  }
}
