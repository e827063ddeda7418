import type { Logger } from '../api/index.js';
import type { Worker } from '../worker/worker.js';
import type { ConfigTopicStore } from './config-topic-store.js';
import type { GroupAssignment } from './group-member.js';
import type { StatusEntry, StatusTopicStore } from './status-topic-store.js';

/** How often the states of what runs here are compared with what was last written. */
const REPORT_INTERVAL_MS = 1000;

/**
 * Writes the observed state of the connectors and tasks assigned to this worker to the status
 * topic whenever it changed, so every worker can answer `GET /connectors/:name/status`. A worker
 * only ever writes what it was assigned: a task that moved is reported by its new worker.
 */
export class StatusReporter {
  private readonly written = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Why a connector assigned here could not be set up (its config does not validate here). */
  readonly failures = new Map<string, string>();

  constructor(
    private readonly o: {
      workerId: string;
      worker: Worker;
      configs: ConfigTopicStore;
      statuses: StatusTopicStore;
      assignment: () => GroupAssignment | undefined;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.report(), REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Writes what changed; one run at a time, a call during a run waits for it and runs again. */
  report(): Promise<void> {
    const next = (this.running ?? Promise.resolve())
      .then(() => this.reportNow())
      .catch((err: unknown) => {
        this.o.logger.warn('could not write the status', { error: (err as Error).message });
      });
    this.running = next;
    return next;
  }

  private async reportNow(): Promise<void> {
    const assignment = this.o.assignment();
    if (!assignment) return;
    const generation = assignment.generation;
    for (const name of assignment.connectors) {
      const entry = this.o.configs.get(name);
      if (!entry) continue;
      const failure = this.failures.get(name);
      const connector = failure ? { state: 'FAILED' as const, trace: failure } : this.o.worker.has(name) ? this.o.worker.status(name).connector : undefined;
      if (connector)
        await this.write(['connector', name], {
          state: connector.state,
          worker_id: this.o.workerId,
          ...(connector.trace ? { trace: connector.trace } : {}),
          generation,
        });
    }
    for (const [name, id] of assignment.tasks) {
      const entry = this.o.configs.get(name);
      if (!entry || !this.o.worker.has(name)) continue;
      const tasks = this.o.worker.status(name).tasks;
      const task = tasks.find((t) => t.id === id);
      // A STOPPED connector has no tasks: its former entries go.
      if (!task) await this.write(['task', name, id], null);
      else await this.write(['task', name, id], { state: task.state, worker_id: this.o.workerId, ...(task.trace ? { trace: task.trace } : {}), generation });
    }
  }

  /**
   * A new assignment: everything assigned is written again at the next report, since another
   * worker may have written over an entry while it ran the connector or task.
   */
  reassigned(): void {
    this.written.clear();
  }

  private async write(key: ['connector', string] | ['task', string, number], entry: StatusEntry | null): Promise<void> {
    const id = JSON.stringify(key);
    // The generation alone changing is no news.
    const text = entry ? JSON.stringify({ ...entry, generation: undefined }) : 'null';
    if (this.written.get(id) === text) return;
    if (key[0] === 'connector') {
      if (entry) await this.o.statuses.putConnector(key[1], entry);
    } else if (entry) {
      await this.o.statuses.putTask(key[1], key[2], entry);
    } else if (this.o.statuses.tasksOf(key[1]).some((t) => t.id === key[2])) {
      await this.o.statuses.removeTask(key[1], key[2]);
    }
    this.written.set(id, text);
  }
}
