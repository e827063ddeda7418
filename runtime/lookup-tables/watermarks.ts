import { WATERMARK_HEADER, compareEventTime, parseEventTime, type EventTime } from '../api/index.js';

type Headers = Readonly<Record<string, string | Buffer | (string | Buffer)[] | undefined>>;

const text = (v: string | Buffer | (string | Buffer)[] | undefined): string | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? text(v[v.length - 1]) : typeof v === 'string' ? v : v.toString('utf8');

/** True for a watermark control record (see runtime/api/event-time.ts): consumed by the runtime, never handed on. */
export function isWatermark(headers: Headers | undefined): boolean {
  return headers !== undefined && headers[WATERMARK_HEADER.time] !== undefined;
}

interface Partition {
  /** The writers' count of the generation these entries belong to. */
  writers: number;
  latest: Map<string, EventTime>;
  /** The partition's watermark so far: it never moves back (what was in the topic stays there). */
  best: EventTime | undefined;
}

/**
 * The watermarks read from one topic: per partition, the smallest of its writers' latest marks
 * once every writer has written one; for the topic, the smallest over its partitions, once every
 * partition has one. A change of the writers' count (the source re-tasked) starts a new generation
 * of the partition's writers.
 */
export class TopicWatermarks {
  private readonly partitions = new Map<number, Partition>();
  private topic: EventTime | undefined;

  constructor(private partitionCount: number) {}

  /** The topic's watermark: every change up to it is in the topic; undefined until known for every partition. */
  get current(): EventTime | undefined {
    return this.topic;
  }

  /** The topic has this many partitions now (more were added). */
  resize(count: number): void {
    if (count === this.partitionCount) return;
    this.partitionCount = count;
    this.recompute();
  }

  /** Applies a watermark record of `partition`; true when the topic's watermark advanced. */
  observe(partition: number, headers: Headers): boolean {
    const time = parseEventTime(text(headers[WATERMARK_HEADER.time]));
    const writer = text(headers[WATERMARK_HEADER.writer]) ?? '';
    const writers = Math.max(1, Number(text(headers[WATERMARK_HEADER.writers]) ?? 1) || 1);
    if (!time) return false;
    let p = this.partitions.get(partition);
    if (!p) this.partitions.set(partition, (p = { writers, latest: new Map(), best: undefined }));
    if (p.writers !== writers) {
      p.writers = writers;
      p.latest = new Map();
    }
    const previous = p.latest.get(writer);
    if (!previous || compareEventTime(time, previous) > 0) p.latest.set(writer, time);
    if (p.latest.size < p.writers) return false;
    let least: EventTime | undefined;
    for (const t of p.latest.values()) if (!least || compareEventTime(t, least) < 0) least = t;
    if (p.best && compareEventTime(least!, p.best) <= 0) return false;
    p.best = least;
    return this.recompute();
  }

  private recompute(): boolean {
    let least: EventTime | undefined;
    for (let i = 0; i < this.partitionCount; i++) {
      const best = this.partitions.get(i)?.best;
      if (!best) {
        least = undefined;
        break;
      }
      if (!least || compareEventTime(best, least) < 0) least = best;
    }
    const advanced = least !== undefined && (this.topic === undefined || compareEventTime(least, this.topic) > 0);
    if (advanced) this.topic = least;
    return advanced;
  }
}
