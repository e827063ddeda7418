import { join } from 'node:path';
import type { CpuWindow } from './cluster-cpu.js';

/** What bench:cluster measures of one side of the pipeline on a cluster of some size. */
export interface ClusterRun {
  name: 'source' | 'sink';
  /** What is counted, e.g. "changes" or "rows". */
  unit: string;
  n: number;
  tasks: number;
  measure(workers: number): Promise<Figure>;
  close(): Promise<void>;
}

export interface RunOptions {
  n: number;
  tasks: number;
  /** Directory for the workers' CPU profiles, one folder per run and cluster size; none without it. */
  profileRoot?: string;
}

export interface Figure {
  workers: number;
  tasksPerWorker: string;
  records: number;
  perSecond: number;
  seconds: number;
  cpu: CpuWindow;
  profiles: string[];
}

export const profileDir = (o: RunOptions, run: string, workers: number): string | undefined =>
  o.profileRoot ? join(o.profileRoot, `${run}-${workers}w`) : undefined;

/**
 * The scaling to expect from 1 to `workers` workers when each worker has a core of its own and the
 * work per task dominates. Each task has the same share of the data (one partition or share of
 * the collection each). One worker does all T shares on one thread; of W workers the busiest has
 * ceil(T/W) tasks (the assignment is balanced), and the cluster is done when it is: T / ceil(T/W).
 * An expectation from the assignment rule, not a measurement.
 */
export const expectedRatio = (tasks: number, workers = 2): number => tasks / Math.ceil(tasks / workers);
