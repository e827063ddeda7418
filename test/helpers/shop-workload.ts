/**
 * Drives the shop generator (generator/) in-process: a seeded initial load, then live changes at
 * a fixed rate or as fast as MongoDB takes them. Same seed on an empty database, same documents.
 */
import type { Db } from 'mongodb';
import { ShopGenerator } from '../../generator/shop-generator.js';

export interface Workload {
  seed: number;
  customers: number;
  orders: number;
  /** Live changes after the initial load. */
  changes: number;
  invalidRatio: number;
  /** Changes per second; 0 writes as fast as MongoDB takes them. */
  rate?: number;
}

export interface WorkloadRun {
  /** Documents written per change kind, plus `invalid <rule>` per broken order. */
  counts: Map<string, number>;
  /** Live changes written so far. */
  done: number;
}

/** Runs `w` against `db`; `progress.done` counts the live changes as they are written. */
export async function runWorkload(db: Db, w: Workload, progress: WorkloadRun = { counts: new Map(), done: 0 }, signal?: AbortSignal): Promise<WorkloadRun> {
  const generator = new ShopGenerator(db, { seed: w.seed, invalidRatio: w.invalidRatio });
  progress.counts = generator.counts;
  await generator.load();
  await generator.seed(w.customers, w.orders);
  const started = Date.now();
  const rate = w.rate ?? 0;
  while (progress.done < w.changes && !signal?.aborted) {
    if (rate > 0) {
      const wait = started + (progress.done / rate) * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await generator.change();
    progress.done += 1;
  }
  return progress;
}
