import { delay } from '../../runtime/support/abortable.js';
import type { PipelineLayout } from './layout.js';
import type { ProgressCollector, ProgressSnapshot } from './progress.js';
import type { Reconciliation } from './reconcile.js';
import { reconcilePipeline } from './reconcile-sources.js';
import type { ProgressView } from './render.js';

export interface CatchUp {
  readonly reconciliation: Reconciliation;
  readonly last: ProgressSnapshot;
  /** Why it stopped waiting without a match; undefined when it reconciled. */
  readonly gaveUp: 'timeout' | 'settled' | 'interrupted' | undefined;
}

const RECONCILE_EVERY_MS = 5_000;
/**
 * How long the pipeline may stand still (no lag, no new records) without matching MongoDB before
 * the mismatch is taken as final. Generous: the source can take tens of seconds to pass on a
 * collection's changes on a loaded machine.
 */
export const SETTLED_MISMATCH_MS = 90_000;

/**
 * Waits until the warehouse agrees with MongoDB: when the sinks have no lag and nothing changes
 * (MongoDB, the warehouse, the dead letters), reconciles (at most every few seconds: reading the dead-letter topic joins a consumer
 * group). Gives up after `timeoutMs`, after a mismatch that outlasts a standstill of
 * SETTLED_MISMATCH_MS, or on a second Ctrl-C, and returns the last reconciliation.
 */
export async function catchUp(
  io: Parameters<typeof reconcilePipeline>[0],
  layout: PipelineLayout,
  progress: ProgressCollector,
  timeoutMs: number,
  c: { readonly view: ProgressView; readonly tickMs: number; readonly hurry: AbortSignal },
): Promise<CatchUp> {
  const deadline = Date.now() + timeoutMs;
  let previous: ProgressSnapshot | undefined;
  let reconciledAt = 0;
  let settledSince: number | undefined;
  for (;;) {
    const s = await progress.collect();
    c.view.show(s, 'waiting for the warehouse');
    const settled =
      previous !== undefined &&
      Object.values(s.lag).every((v) => v === 0) &&
      // Not the topics' sizes: the source's watermark records make them grow on a quiet pipeline
      // too. No lag says the sinks have read everything there is; then nothing may change.
      JSON.stringify(s.warehouse) === JSON.stringify(previous.warehouse) &&
      JSON.stringify(s.mongo) === JSON.stringify(previous.mongo) &&
      s.deadLettered === previous.deadLettered;
    previous = s;
    settledSince = settled ? (settledSince ?? Date.now()) : undefined;
    const gaveUp = c.hurry.aborted
      ? 'interrupted'
      : Date.now() > deadline
        ? 'timeout'
        : settledSince !== undefined && Date.now() - settledSince >= SETTLED_MISMATCH_MS
          ? 'settled'
          : undefined;
    if ((settled && Date.now() - reconciledAt >= RECONCILE_EVERY_MS) || gaveUp) {
      reconciledAt = Date.now();
      const reconciliation = await reconcilePipeline(io, layout);
      if (reconciliation.ok) {
        c.view.show(s, 'caught up');
        return { reconciliation, last: s, gaveUp: undefined };
      }
      if (gaveUp) return { reconciliation, last: s, gaveUp };
    }
    await delay(c.tickMs, c.hurry);
  }
}
