import type { ObservedState } from './status.js';

/**
 * What the worker sees of a running task, source or sink. `run()` owns the task's whole life:
 * it resolves after a requested stop (offsets committed, task stopped) and rejects when the task
 * fails; the worker turns that into FAILED with the trace.
 */
export interface TaskRunner {
  readonly taskId: number;
  /** RUNNING or PAUSED while `run()` is pending. */
  readonly state: ObservedState;
  run(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Asks the loop to finish its batch, commit, and stop the task. Resolves when it has. */
  stop(): Promise<void>;
}
