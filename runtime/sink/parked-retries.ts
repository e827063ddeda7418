import type { KafkaMessage } from 'kafkajs';
import { topicPartitionKey, type Logger, type RejectedRecord, type SinkRecord, type SinkTaskContext, type TopicPartitionOffset } from '../api/index.js';
import { delay } from '../support/abortable.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { StagedBatch } from './batch.js';
import { ParkingLot, type Parked, type ParkingBounds } from './parking.js';
import { decide, type NotYet, type SinkRecordDeps } from './records.js';

/** How long a parked record waits before it is tried again when its transform gave no hint. */
const RETRY_PARKED_MS = 100;

type Released = StagedBatch & { records: SinkRecord[]; messages: KafkaMessage[]; rejected: RejectedRecord[] };

/** What the retries need from the sink runner that owns them. */
export interface ParkedRetriesHost {
  readonly labels: Record<string, string>;
  readonly connector: string;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  readonly context: Pick<SinkTaskContext, 'reportProgress'>;
  readonly signal: AbortSignal;
  /** The runner consumes and may stage: retries stop otherwise. */
  active(): boolean;
  /** The runner is stopping: no retry is scheduled any more. */
  ending(): boolean;
  isOpen(partitionKey: string): boolean;
  /** The next offset to fetch of a partition: a released record is staged with it. */
  fetchedNext(partitionKey: string): string | undefined;
  recordDeps(): SinkRecordDeps;
  /** Runs `fn` when no other use of the transform chain is under way. */
  takeChainTurn<T>(fn: () => Promise<T>): Promise<T>;
  /** Stages what the retries released and schedules a flush. */
  stage(batches: readonly Released[]): void;
  fail(err: unknown): void;
}

/**
 * The parked records of a sink task and when they are tried again: on their transform's wake-up
 * promise, at their retry time, one run at a time. What a retry decides is staged for the next
 * flush in key order; what is still parked bounds the offsets committed (a crash reads it again).
 */
export class ParkedRetries {
  readonly lot: ParkingLot;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    bounds: ParkingBounds,
    private readonly host: ParkedRetriesHost,
  ) {
    this.lot = new ParkingLot(bounds);
  }

  park(topic: string, partition: number, message: KafkaMessage, notYet?: NotYet): void {
    const now = Date.now();
    const retryAt = now + (notYet?.error.retryAfterMs ?? RETRY_PARKED_MS);
    const entry = this.lot.park(topic, partition, message, notYet?.resume, retryAt, now);
    if (notYet?.error.wake) this.wakeOn(entry, notYet.error.wake);
    this.changed();
  }

  /** Forgets the parked records of these partitions (all without): their next reader reads them again. */
  drop(keys?: ReadonlySet<string>): void {
    this.lot.drop(keys);
    this.changed();
  }

  /** Forgets what was parked from this offset on: the batch it came in is fetched again. */
  dropFrom(topic: string, partition: number, offset: bigint): void {
    this.lot.dropFrom(topic, partition, offset);
    this.changed();
  }

  /** A committed position never passes a parked record: a crash reads it again. */
  notPast(tp: TopicPartitionOffset): TopicPartitionOffset {
    const low = this.lot.lowest(tp.topic, tp.partition);
    return low !== undefined && low < BigInt(tp.offset) ? { ...tp, offset: low.toString() } : tp;
  }

  /** Arms the timer for the next parked record due. */
  arm(): void {
    this.stop();
    const at = this.lot.nextRetryAt();
    if (at === undefined || this.host.ending()) return;
    this.timer = setTimeout(() => this.soon(), Math.max(0, at - Date.now()));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The bound of parked records is reached: fetching waits for room, and says so in the task's status. */
  async waitForRoom(membership: { readonly lost: boolean }): Promise<void> {
    if (!this.lot.full) return;
    const { host, lot } = this;
    const { maxRecords, maxBytes } = lot.bounds;
    const since = Date.now();
    host.metrics.parkingFull.set(host.labels, 1);
    host.logger.warn('parked records reached their bound; fetching waits until some are decided', { parked: lot.size, maxRecords, maxBytes });
    host.context.reportProgress([{ phase: 'waiting: parked records at their bound', source: host.connector, done: lot.size, total: maxRecords }]);
    while (lot.full && !membership.lost && host.active()) {
      await Promise.race([lot.room(), delay(1000, host.signal)]);
    }
    host.metrics.parkingFull.set(host.labels, 0);
    host.context.reportProgress([]);
    host.logger.info('parked records below their bound again; fetching goes on', { waitedMs: Date.now() - since });
  }

  private wakeOn(entry: Parked, wake: PromiseLike<unknown>): void {
    const woken = () => {
      entry.woken = true;
      this.soon();
    };
    Promise.resolve(wake).then(woken, woken);
  }

  /** Tries the parked records that are due, one run at a time; a request meanwhile runs again after it. */
  private soon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.host
      .takeChainTurn(() => this.retry())
      .catch((err: unknown) => {
        if (!this.host.signal.aborted) this.host.fail(err);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon();
        } else this.arm();
      });
  }

  /**
   * Tries every due head again from the stage that parked it. A head that passes (or is dropped or
   * rejected) lets the next record of its key go, converted and transformed now; what passes is
   * staged for the next flush, in key order.
   */
  private async retry(): Promise<void> {
    const { host, lot } = this;
    if (!host.active()) return;
    const deps = host.recordDeps();
    const released = new Map<string, Released>();
    for (const head of lot.due(Date.now())) {
      let entry: Parked | undefined = head;
      while (entry) {
        const outcome = await decide(entry.topic, entry.partition, entry.message, deps, entry.resume);
        if (!host.active()) return;
        if (outcome.kind === 'not-yet') {
          lot.repark(entry, outcome.notYet.resume, Date.now() + (outcome.notYet.error.retryAfterMs ?? RETRY_PARKED_MS));
          if (outcome.notYet.error.wake) this.wakeOn(entry, outcome.notYet.error.wake);
          break;
        }
        host.metrics.parkedSeconds.observe(host.labels, (Date.now() - entry.parkedAt) / 1000);
        const key = topicPartitionKey(entry.topic, entry.partition);
        if ((outcome.kind === 'record' || outcome.kind === 'rejected') && host.isOpen(key)) {
          let batch = released.get(key);
          if (!batch) {
            batch = { topic: entry.topic, partition: entry.partition, records: [], messages: [], rejected: [], next: host.fetchedNext(key) ?? '0' };
            released.set(key, batch);
          }
          if (outcome.kind === 'record') batch.records.push(outcome.record);
          else batch.rejected.push(outcome.rejected);
          batch.messages.push(entry.message);
        } else if (outcome.kind === 'dropped') host.metrics.recordsFiltered.inc(host.labels);
        entry = lot.release(entry);
      }
    }
    this.changed();
    if (released.size > 0) host.stage([...released.values()]);
  }

  private changed(): void {
    this.host.metrics.recordsParked.set(this.host.labels, this.lot.size);
  }
}
