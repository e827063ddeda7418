/**
 * Where a sink task's loop is. One way through, with a detour to `failed`:
 *
 *   starting --> consuming --> stopping --> stopped
 *       \            \            /             ^
 *        +------------+--> failed -------------+
 *
 * - `starting`: the chain is built, the task started, the consumer connected and subscribed; the
 *   consumer is not running yet, so kafkajs refuses pause() and resume().
 * - `consuming`: consumer.run() was called; fetched batches are staged and flushed.
 * - `stopping`: a stop was asked for; what is in flight and what is staged are flushed, the
 *   partitions closed, the group left.
 * - `failed`: the task failed; nothing more is put or flushed, the partitions are closed and the
 *   group left.
 * - `stopped`: the loop has ended.
 */
export type SinkPhase = 'starting' | 'consuming' | 'stopping' | 'failed' | 'stopped';

const NEXT: { readonly [P in SinkPhase]: readonly SinkPhase[] } = {
  starting: ['consuming', 'stopping', 'failed'],
  consuming: ['stopping', 'failed'],
  stopping: ['failed', 'stopped'],
  failed: ['stopped'],
  stopped: [],
};

/**
 * The consumer group's assignment as the task knows it: `rebalancing` from the moment the group
 * starts a rebalance until the task has closed its revoked partitions and opened its new ones.
 * While rebalancing, kafkajs may fetch again what is staged, so nothing is staged or flushed.
 */
export type AssignmentState = 'synced' | 'rebalancing';

/** The two states of a sink runner, with every transition and what each state allows in one place. */
export class SinkLifecycle {
  private current: SinkPhase = 'starting';
  private group: AssignmentState = 'synced';

  get phase(): SinkPhase {
    return this.current;
  }

  get assignment(): AssignmentState {
    return this.group;
  }

  /**
   * Moves to `next` when the table above allows it; returns whether it did. A late event that
   * would move an ending loop back (a failure reported after the stop) changes nothing.
   */
  to(next: SinkPhase): boolean {
    if (!NEXT[this.current].includes(next)) return false;
    this.current = next;
    return true;
  }

  /** The group began a rebalance, or handed out a new assignment the task has not seen yet. */
  rebalancing(): void {
    this.group = 'rebalancing';
  }

  /** The task's open and closed partitions match the group's assignment again. */
  synced(): void {
    this.group = 'synced';
  }

  /** kafkajs accepts pause() and resume() only on a running consumer. */
  get consumerRunning(): boolean {
    return this.current === 'consuming';
  }

  /** Stopping, failed or stopped: no batch is staged and no partition opened any more. */
  get ending(): boolean {
    return this.current === 'stopping' || this.current === 'failed' || this.current === 'stopped';
  }

  get failed(): boolean {
    return this.current === 'failed';
  }

  /**
   * Consuming with the assignment synced: fetched batches are staged and flushes start as they
   * fall due (a stop's final flush is asked for explicitly).
   */
  get active(): boolean {
    return this.current === 'consuming' && this.group === 'synced';
  }

  /** A staged group may be put and flushed: not after a failure, not while the group rebalances. */
  get mayFlush(): boolean {
    return this.current !== 'failed' && this.group === 'synced';
  }
}
