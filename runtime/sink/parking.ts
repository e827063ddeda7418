import type { KafkaMessage } from 'kafkajs';
import { topicPartitionKey, type SinkRecord } from '../api/index.js';

/** Bounds of what a sink task holds parked: when either is reached, fetching waits. */
export interface ParkingBounds {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export const DEFAULT_PARKING: ParkingBounds = Object.freeze({ maxRecords: 10_000, maxBytes: 64 * 1024 * 1024 });

/** Where a parked record is taken up again: the chain stage that could not decide, and its input. */
export interface ResumePoint {
  readonly index: number;
  readonly input: SinkRecord;
}

/** A record waiting in the parking lot: the head of its key's queue, or a raw message behind it. */
export interface Parked {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly offset: bigint;
  readonly key: string;
  readonly bytes: number;
  readonly parkedAt: number;
  /** Set on the head of a queue: where to try it again. Records behind it have not been converted yet. */
  resume?: ResumePoint;
  /** Wall time by which the head is tried again at the latest. */
  retryAt: number;
  /** The head's wake-up promise settled: try it now. */
  woken: boolean;
}

interface PartitionLot {
  /** Per record key, its parked head and the records queued behind it, in offset order. */
  readonly byKey: Map<string, Parked[]>;
}

const bytesOf = (m: KafkaMessage) => (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
const keyOf = (m: KafkaMessage, offset: string) => (m.key === null || m.key === undefined ? `\u0000${offset}` : m.key.toString('latin1'));

/**
 * The records of one sink task that must wait (a transform threw NotYetError), by partition and
 * record key. A waiting record holds back only the later records of its own key, which queue
 * behind it unconverted; every other key goes on to the sink. The lowest parked offset of a
 * partition bounds what may be committed for it, so a crash replays every parked record.
 * Pure bookkeeping: the sink runner decides when to try a record again.
 */
export class ParkingLot {
  private readonly lots = new Map<string, PartitionLot>();
  private count = 0;
  private byteCount = 0;
  private roomWaiters: Array<() => void> = [];

  constructor(readonly bounds: ParkingBounds = DEFAULT_PARKING) {}

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteCount;
  }

  get full(): boolean {
    return this.count >= this.bounds.maxRecords || this.byteCount >= this.bounds.maxBytes;
  }

  /** Resolves once the lot is not full (at once when it is not). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** True when a record of this key waits: a later one of the same key must queue behind it. */
  waiting(topic: string, partition: number, message: KafkaMessage): boolean {
    return this.lots.get(topicPartitionKey(topic, partition))?.byKey.has(keyOf(message, message.offset)) ?? false;
  }

  /** Parks the head of a key's queue, or, with `resume` undefined, a raw record behind it. */
  park(topic: string, partition: number, message: KafkaMessage, resume: ResumePoint | undefined, retryAt: number, now: number): Parked {
    const lot = this.lot(topic, partition);
    const entry: Parked = {
      topic,
      partition,
      message,
      offset: BigInt(message.offset),
      key: keyOf(message, message.offset),
      bytes: bytesOf(message),
      parkedAt: now,
      ...(resume ? { resume } : {}),
      retryAt,
      woken: false,
    };
    let queue = lot.byKey.get(entry.key);
    if (!queue) lot.byKey.set(entry.key, (queue = []));
    queue.push(entry);
    this.count += 1;
    this.byteCount += entry.bytes;
    return entry;
  }

  /** The head parks again (its stage still could not decide): new retry time, no longer woken. */
  repark(head: Parked, resume: ResumePoint, retryAt: number): void {
    head.resume = resume;
    head.retryAt = retryAt;
    head.woken = false;
  }

  /** Heads due to be tried again: woken, or past their retry time. */
  due(now: number): Parked[] {
    const out: Parked[] = [];
    for (const lot of this.lots.values()) {
      for (const queue of lot.byKey.values()) {
        const head = queue[0]!;
        if (head.resume && (head.woken || head.retryAt <= now)) out.push(head);
      }
    }
    return out;
  }

  /** The earliest retry time of any head, undefined when nothing is parked. */
  nextRetryAt(): number | undefined {
    let next: number | undefined;
    for (const lot of this.lots.values()) {
      for (const queue of lot.byKey.values()) {
        const head = queue[0]!;
        if (head.resume && (next === undefined || head.retryAt < next)) next = head.retryAt;
      }
    }
    return next;
  }

  /**
   * Takes the head of its key's queue out (decided: passed on, dropped or rejected) and returns
   * the record now first of that key, to be processed: converted and transformed as if fetched now.
   */
  release(entry: Parked): Parked | undefined {
    const lot = this.lots.get(topicPartitionKey(entry.topic, entry.partition));
    if (!lot) return undefined;
    const queue = lot.byKey.get(entry.key);
    if (!queue || queue[0] !== entry) return undefined;
    queue.shift();
    this.count -= 1;
    this.byteCount -= entry.bytes;
    if (queue.length === 0) lot.byKey.delete(entry.key);
    if (lot.byKey.size === 0) this.lots.delete(topicPartitionKey(entry.topic, entry.partition));
    this.wakeRoom();
    return queue[0];
  }

  /** The lowest offset still parked in a partition: nothing at or after it may be committed. */
  lowest(topic: string, partition: number): bigint | undefined {
    let low: bigint | undefined;
    // A queue's head has its lowest offset.
    for (const queue of this.lots.get(topicPartitionKey(topic, partition))?.byKey.values() ?? []) {
      if (low === undefined || queue[0]!.offset < low) low = queue[0]!.offset;
    }
    return low;
  }

  /** Forgets what was parked of a partition at or after `offset` (a batch that is fetched again). */
  dropFrom(topic: string, partition: number, offset: bigint): void {
    const key = topicPartitionKey(topic, partition);
    const lot = this.lots.get(key);
    if (!lot) return;
    for (const [k, queue] of [...lot.byKey]) {
      const kept = queue.filter((e) => e.offset < offset);
      for (const e of queue) if (e.offset >= offset) this.forget(e);
      if (kept.length === 0) lot.byKey.delete(k);
      else lot.byKey.set(k, kept);
    }
    if (lot.byKey.size === 0) this.lots.delete(key);
    this.wakeRoom();
  }

  /** Forgets the parked records of these partitions (all when omitted): they will be fetched again. */
  drop(keys?: ReadonlySet<string>): void {
    for (const [key, lot] of [...this.lots]) {
      if (keys && !keys.has(key)) continue;
      for (const queue of lot.byKey.values()) for (const e of queue) this.forget(e);
      this.lots.delete(key);
    }
    this.wakeRoom();
  }

  /** Every parked record (for status and metrics). */
  *entries(): Generator<Parked> {
    for (const lot of this.lots.values()) for (const queue of lot.byKey.values()) yield* queue;
  }

  private forget(e: Parked): void {
    this.count -= 1;
    this.byteCount -= e.bytes;
  }

  private lot(topic: string, partition: number): PartitionLot {
    const key = topicPartitionKey(topic, partition);
    let lot = this.lots.get(key);
    if (!lot) this.lots.set(key, (lot = { byKey: new Map() }));
    return lot;
  }

  private wakeRoom(): void {
    if (this.full || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}
