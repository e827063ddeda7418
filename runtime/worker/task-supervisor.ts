import type { Logger } from '../api/index.js';
import type { LogManager } from '../observability/logging.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { SerialQueue } from '../support/serial-queue.js';
import { traceOf, type ConnectorInstance, type TaskSlot } from './connector-instance.js';
import type { TaskFactory } from './task-factory.js';

export interface TaskSupervisorOptions {
  tasks: TaskFactory;
  metrics: WorkerMetrics;
  logs: LogManager;
  /** The worker's lifecycle queue: an automatic restart runs in it, under its connector's name. */
  lifecycle: SerialQueue;
  /** True once the worker stops: nothing starts after that. */
  stopping(): boolean;
  /** Whether `c` is still the worker's instance of its connector (not deleted or replaced). */
  isCurrent(c: ConnectorInstance): boolean;
}

/**
 * Runs the tasks of this worker's connectors: starts a task's runner, notes how it ended
 * (UNASSIGNED, or FAILED with its trace), restarts failed tasks with backoff when the policy says
 * so, and stops runners so that a slot keeps its runner until it has stopped.
 */
export class TaskSupervisor {
  private readonly logger: Logger;

  constructor(private readonly o: TaskSupervisorOptions) {
    this.logger = o.logs.get('worker');
  }

  startTask(c: ConnectorInstance, slot: TaskSlot): void {
    // A stopping worker starts nothing, whatever was queued: no task outlives stop().
    if (this.o.stopping()) return;
    const runner = this.o.tasks.createRunner(c, slot);
    slot.runner = runner;
    slot.state = 'RUNNING';
    slot.trace = undefined;
    slot.backoff.started();
    if (c.target === 'PAUSED') runner.pause();
    this.o.metrics.taskState.set({ connector: c.name, task: String(slot.id) }, 1);
    this.o.metrics.taskStarts.inc({ connector: c.name, task: String(slot.id) });
    runner.run().then(
      () => {
        if (slot.runner === runner && slot.stopping !== runner) {
          slot.state = 'UNASSIGNED';
          slot.runner = undefined;
        }
      },
      (err: unknown) => {
        if (slot.runner !== runner || slot.stopping === runner) return;
        slot.runner = undefined;
        slot.state = 'FAILED';
        slot.trace = this.o.logs.scrub(traceOf(err));
        this.o.metrics.taskState.set({ connector: c.name, task: String(slot.id) }, 0);
        this.o.logs.get(`task.${c.name}-${slot.id}`).error('task failed', { error: this.o.logs.scrub((err as Error)?.message ?? String(err)) });
        this.scheduleAutoRestart(c, slot);
      },
    );
  }

  private scheduleAutoRestart(c: ConnectorInstance, slot: TaskSlot): void {
    const delay = this.o.stopping() ? undefined : slot.backoff.failed();
    if (delay === undefined) return;
    this.o.metrics.taskRestarts.inc({ connector: c.name, task: String(slot.id) });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.o.lifecycle
        .run(c.name, async () => {
          // The connector may have been deleted, stopped, reconfigured or restarted meanwhile.
          if (!this.o.isCurrent(c) || !c.tasks.includes(slot) || c.target === 'STOPPED' || slot.state !== 'FAILED') return;
          this.logger.info('restarting failed task', { connector: c.name, task: slot.id, attempt: slot.backoff.attempt });
          slot.state = 'RESTARTING';
          this.startTask(c, slot);
        })
        .catch((err: unknown) => this.logger.error('automatic task restart failed', { connector: c.name, task: slot.id, error: (err as Error).message }));
    }, delay);
    slot.restartTimer.unref();
  }

  async restartSlot(c: ConnectorInstance, slot: TaskSlot): Promise<void> {
    if (c.target === 'STOPPED' || (c.owned && !c.owned.has(slot.id))) return;
    slot.state = 'RESTARTING';
    await this.stopSlot(slot);
    slot.backoff.reset();
    this.startTask(c, slot);
  }

  /** Stops the slot's runner; the slot keeps it until it has stopped, so status and offsets see it. */
  async stopSlot(slot: TaskSlot): Promise<void> {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = undefined;
    const runner = slot.runner;
    if (!runner) return;
    slot.stopping = runner;
    try {
      await runner.stop();
    } finally {
      slot.stopping = undefined;
      if (slot.runner === runner) slot.runner = undefined;
    }
  }

  async stopTasks(c: ConnectorInstance): Promise<void> {
    await Promise.all(c.tasks.map((slot) => this.stopSlot(slot)));
    for (const slot of c.tasks) {
      if (slot.state !== 'FAILED') slot.state = 'UNASSIGNED';
      this.o.metrics.taskState.set({ connector: c.name, task: String(slot.id) }, 0);
    }
  }
}
