import { PauseGate } from './pause-gate.js';
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

/** The lifecycle both runners share: one loop per runner, a pause gate, stop by abort. */
export abstract class BaseTaskRunner implements TaskRunner {
  protected readonly gate = new PauseGate();
  protected readonly labels: { connector: string; task: string };
  private running: Promise<void> | undefined;

  constructor(
    readonly taskId: number,
    connector: string,
    protected readonly abort: AbortController,
  ) {
    this.labels = { connector, task: String(taskId) };
  }

  get state(): ObservedState {
    return this.gate.isPaused ? 'PAUSED' : 'RUNNING';
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  protected abstract loop(): Promise<void>;
}
