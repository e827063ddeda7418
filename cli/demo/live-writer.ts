import { delay } from '../../runtime/support/abortable.js';
import type { ShopGenerator } from '../../generator/shop-generator.js';

export interface LiveOptions {
  /** Changes per second. */
  readonly rate: number;
  /** Stop once this many new orders were written (undefined: until `stop`). */
  readonly orders: number | undefined;
}

/** New orders the generator wrote in its live mode. */
export const ordersCreated = (g: ShopGenerator) => g.counts.get('order-created') ?? 0;
/** Every change the generator wrote, seeding included. */
export const changesWritten = (g: ShopGenerator) => [...g.counts.entries()].filter(([k]) => !k.startsWith('invalid ')).reduce((a, [, v]) => a + v, 0);

/**
 * Writes the shop's live changes at `rate`/s until `orders` new orders exist or `stop` aborts.
 * Paced by the total so far, so a slow write is caught up on instead of lowering the rate.
 */
export async function writeLive(generator: ShopGenerator, o: LiveOptions, stop: AbortSignal): Promise<void> {
  const started = Date.now();
  const before = ordersCreated(generator);
  let done = 0;
  while (!stop.aborted && (o.orders === undefined || ordersCreated(generator) - before < o.orders)) {
    const wait = started + (done / o.rate) * 1000 - Date.now();
    if (wait > 0) await delay(wait, stop);
    if (stop.aborted) break;
    await generator.change();
    done += 1;
  }
}
