import { formatEventTime, parseEventTime, type EventTime } from './event-time.js';
import type { SinkRecord, SourceRecord } from './records.js';

/**
 * Snapshot markers: a source says that a snapshot (a copy of every document of a collection) is
 * complete. A snapshot's epoch is its start: the source position every copied record carries as
 * its own (see SourceRecord.eventTime), before every change the stream delivers after the copy.
 * The runtime writes the marker to every partition of the topic as a watermark control record
 * with two more headers, after every copied record, so a sink that has read it on every partition
 * has seen the whole copy: a row whose position is still older than the start was neither copied
 * nor changed since, so the collection no longer has that document (deleted in a lost history,
 * or the collection dropped or renamed away), and the sink may delete it.
 */
export const SNAPSHOT_HEADER = {
  /** The completed snapshot's start, `<ms>.<seq>`. */
  complete: 'conflux.snapshot.complete',
  /** How many partitions the topic had when the marker was written: one marker on each. */
  partitions: 'conflux.snapshot.partitions',
} as const;

/** A completed snapshot, as a sink receives it. */
export interface SnapshotComplete {
  readonly start: EventTime;
  /** Markers of this snapshot exist on this many partitions of the topic (0..partitions-1). */
  readonly partitions: number;
}

/**
 * The record that ends a snapshot of the collection behind `topic` which started at `start`: a
 * watermark at `watermark` (the copy's, which promises nothing past the start) carrying the marker.
 */
export function snapshotCompleteRecord(topic: string, start: EventTime, watermark: EventTime): SourceRecord {
  return Object.freeze({
    topic,
    key: null,
    value: null,
    headers: {},
    timestamp: start.ms,
    sourcePartition: {},
    sourceOffset: {},
    watermark,
    snapshotComplete: start,
  });
}

/** The marker headers for a topic of `partitions` partitions. */
export function snapshotHeaders(start: EventTime, partitions: number): Record<string, string> {
  return { [SNAPSHOT_HEADER.complete]: formatEventTime(start), [SNAPSHOT_HEADER.partitions]: String(partitions) };
}

/** The completed snapshot a control record's headers announce, if any. */
export function snapshotCompleteOf(headers: Readonly<Record<string, string | Buffer | undefined>> | undefined): SnapshotComplete | undefined {
  const start = parseEventTime(headers?.[SNAPSHOT_HEADER.complete]);
  const partitions = Number(headers?.[SNAPSHOT_HEADER.partitions]?.toString() ?? NaN);
  return start && Number.isInteger(partitions) && partitions > 0 ? { start, partitions } : undefined;
}

/** The marker as a record handed to a sink task that asked for markers (SinkTaskContext.receiveSnapshotMarkers). */
export type SnapshotMarkerRecord = SinkRecord & { readonly snapshotComplete: SnapshotComplete };
