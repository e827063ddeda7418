import { readDeadLetters, type DeadLetterQuery, type DeadLetters } from '../tasks/dead-letter-reader.js';
import { isDeepStrictEqual } from 'node:util';
import type { IncrementalSnapshots, Logger, SnapshotInfo, SnapshotRequest } from '../api/index.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import { validateOffsetWrites } from '../offsets/offset-value.js';
import type { ConnectorOffset } from '../offsets/sink-group-offsets.js';
import { SinkOffsets } from '../offsets/sink-offsets.js';
import type { PluginRegistry } from './plugin-registry.js';
import { LookupTableRegistry } from '../lookup-tables/registry.js';
import type { ConnectorStatus, TargetState, TaskStatus } from '../tasks/status.js';
import { RestartBackoff, type RestartPolicy } from './restart-policy.js';
import { SerialQueue } from '../support/serial-queue.js';
import { validateRawConfig, type ConfigResolver } from './config-validator.js';
import { connectorTopics, traceOf, type ConnectorInfo, type ConnectorInstance, type RawConfig, type TaskSlot, type Validated } from './connector-instance.js';
import { SharedAdmin } from '../kafka/shared-admin.js';
import { TaskFactory, type TaskFactoryOptions } from './task-factory.js';
import { TaskSupervisor } from './task-supervisor.js';

export type { RestartPolicy } from './restart-policy.js';

export type { ConnectorInfo, RawConfig, ValidatedConfig } from './connector-instance.js';

/**
 * Where connector configs and desired states survive a worker restart (standalone: a file). The
 * worker saves each change it applies here, inside the connector's lifecycle queue, so a failed
 * save undoes a create; `load` is the herder's, at start.
 */
export interface ConnectorConfigStore {
  load(): Promise<Array<{ name: string; config: RawConfig; target: TargetState }>>;
  save(name: string, config: RawConfig, target: TargetState): Promise<void>;
  remove(name: string): Promise<void>;
}

/** What the task factory needs, except the lookup tables, which the worker creates itself. */
export interface WorkerOptions extends Omit<TaskFactoryOptions, 'tables'> {
  workerId: string;
  /** Resolves `${env:..}` / `${file:..}` placeholders; returns the values that are secrets. */
  resolveConfig: ConfigResolver;
  restartPolicy?: RestartPolicy;
  configStore?: ConnectorConfigStore;
}

/**
 * Runs connectors and their tasks on this worker: desired state (what the operator asked) versus
 * observed state (what the tasks do), task supervision and restarts, and the lifecycle of the
 * Kafka clients the tasks share. Where desired state is kept is the herder's business (see
 * runtime/herder); this class knows nothing about any particular connector either.
 */
export class Worker {
  readonly id: string;
  private readonly connectors = new Map<string, ConnectorInstance>();
  /** Every lifecycle operation runs in this queue under its connector's name. */
  private readonly lifecycle = new SerialQueue();
  private readonly logger: Logger;
  private stopping = false;
  private readonly tables: LookupTableRegistry;
  private readonly admin: SharedAdmin;
  private readonly tasks: TaskFactory;
  private readonly supervisor: TaskSupervisor;

  constructor(private readonly o: WorkerOptions) {
    this.id = o.workerId;
    this.logger = o.logs.get('worker');
    this.tables = new LookupTableRegistry({ kafka: o.kafka, logger: o.logs.get('tables'), workerId: o.workerId });
    this.admin = new SharedAdmin(o.kafka);
    this.tasks = new TaskFactory({ ...o, tables: this.tables });
    this.supervisor = new TaskSupervisor({
      tasks: this.tasks,
      metrics: o.metrics,
      logs: o.logs,
      lifecycle: this.lifecycle,
      stopping: () => this.stopping,
      isCurrent: (c) => this.connectors.get(c.name) === c,
    });
  }

  get plugins(): PluginRegistry {
    return this.o.plugins;
  }

  get metrics(): WorkerMetrics {
    return this.o.metrics;
  }

  /** Starts the offset store. */
  async start(): Promise<void> {
    await this.o.offsetStore.start();
  }

  /** Runs a connector whose config and desired state are already stored (a restart, another worker's write): nothing is saved again. */
  restore(name: string, raw: RawConfig, target: TargetState): Promise<ConnectorInfo> {
    return this.lifecycle.run(name, () => this.create(name, raw, target, false));
  }

  /**
   * Graceful shutdown: every task finishes its batch and commits its offsets. Lifecycle operations
   * already queued finish first; from now on none starts a task.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const names = new Set([...this.connectors.keys(), ...this.lifecycle.busyKeys()]);
    await Promise.all(
      [...names].map((name) =>
        this.lifecycle.run(name, async () => {
          const c = this.connectors.get(name);
          if (c) await this.supervisor.stopTasks(c);
        }),
      ),
    );
    await this.tables.close();
    await this.tasks.close();
    await this.admin.close();
    await this.o.offsetStore.stop();
  }

  connectorNames(): string[] {
    return [...this.connectors.keys()].sort();
  }

  has(name: string): boolean {
    return this.connectors.has(name);
  }

  /** Validates a raw config the way create/update would; throws ConfigError with every error. */
  validate(raw: RawConfig): Promise<Validated> {
    return validateRawConfig(this.o.plugins, this.o.resolveConfig, raw);
  }

  createConnector(name: string, raw: RawConfig, initial: TargetState = 'RUNNING'): Promise<ConnectorInfo> {
    return this.lifecycle.run(name, () => this.create(name, raw, initial, true));
  }

  /** PUT /connectors/:name/config semantics: create or replace; a change restarts the tasks. */
  putConnectorConfig(name: string, raw: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.lifecycle.run(name, () => this.putConfigNow(name, raw));
  }

  /**
   * PATCH /connectors/:name/config semantics: `change` derives the new config from the current one
   * in the same queued operation, so concurrent patches do not lose each other's keys and a patch
   * after a delete is a 404 instead of bringing the connector back.
   */
  patchConnectorConfig(name: string, change: (current: RawConfig) => RawConfig): Promise<ConnectorInfo> {
    return this.lifecycle.run(name, async () => (await this.putConfigNow(name, change(this.get(name).raw))).info);
  }

  private async putConfigNow(name: string, raw: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    const existing = this.connectors.get(name);
    if (!existing) return { created: true, info: await this.create(name, raw, 'RUNNING', true) };
    // The same config again (a restart re-applying its connector files, `conflux apply`) changes
    // nothing: restarting the tasks would only make sinks leave and rejoin their groups.
    if (isDeepStrictEqual(existing.raw, raw)) return { created: false, info: this.info(name) };
    await this.reconfigure(existing, raw);
    return { created: false, info: this.info(name) };
  }

  private async reconfigure(existing: ConnectorInstance, raw: RawConfig): Promise<void> {
    const { secrets, ...validated } = await this.validate(raw);
    // The old tasks log with the old values until they are stopped.
    this.o.logs.setSecrets(existing.name, secrets, { keepPrevious: true });
    await this.supervisor.stopTasks(existing);
    this.o.logs.setSecrets(existing.name, secrets);
    Object.assign(existing, validated, { raw: { ...raw } });
    await this.o.configStore?.save(existing.name, existing.raw, existing.target);
    await this.startConnector(existing);
  }

  /**
   * Distributed mode: runs exactly the given tasks of a connector whose config and target state
   * are kept elsewhere (the config topic). Tasks that stay assigned keep running untouched; a
   * changed config or target state applies to the assigned tasks as it would standalone.
   */
  assign(name: string, raw: RawConfig, target: TargetState, taskIds: readonly number[]): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const owned: ReadonlySet<number> = new Set(taskIds);
      const c = this.connectors.get(name);
      if (!c) {
        await this.create(name, raw, target, false, owned);
        return;
      }
      const before = c.owned;
      c.owned = owned;
      // A new config stops every task here and starts the assigned ones with it.
      if (!isDeepStrictEqual(c.raw, raw)) await this.reconfigure(c, raw);
      if (c.target !== target) await this.setTarget(c, target);
      const lost = c.tasks.filter((slot) => before?.has(slot.id) && !owned.has(slot.id));
      await Promise.all(lost.map((slot) => this.supervisor.stopSlot(slot)));
      for (const slot of lost) slot.state = 'UNASSIGNED';
      if (c.target === 'STOPPED' || c.state === 'FAILED') return;
      for (const slot of c.tasks) if (owned.has(slot.id) && !before?.has(slot.id) && !slot.runner) this.supervisor.startTask(c, slot);
    });
  }

  /** Distributed mode: stops what runs here of a connector assigned elsewhere now, or deleted. */
  release(name: string): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const c = this.connectors.get(name);
      if (!c) return;
      this.connectors.delete(name);
      await this.supervisor.stopTasks(c);
      this.o.logs.setSecrets(name, []);
    });
  }

  deleteConnector(name: string): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const instance = this.get(name);
      this.connectors.delete(name);
      await this.supervisor.stopTasks(instance);
      this.o.logs.setSecrets(name, []);
      await this.o.configStore?.remove(name);
    });
  }

  info(name: string): ConnectorInfo {
    const c = this.get(name);
    return {
      name,
      config: c.raw,
      tasks: c.tasks.map((t) => ({ connector: name, task: t.id })),
      type: c.definition.type,
    };
  }

  config(name: string): RawConfig {
    return this.get(name).raw;
  }

  target(name: string): TargetState {
    return this.get(name).target;
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: unknown }> {
    return this.get(name).tasks.map((t) => ({ id: { connector: name, task: t.id }, config: t.config }));
  }

  status(name: string): ConnectorStatus {
    const c = this.get(name);
    return {
      name,
      connector: { state: c.state, worker_id: this.id, ...(c.trace ? { trace: c.trace } : {}) },
      tasks: c.tasks.map((t) => this.taskStatus(t)),
      type: c.definition.type,
    };
  }

  taskStatus(slot: TaskSlot): TaskStatus;
  taskStatus(name: string, id: number): TaskStatus;
  taskStatus(a: TaskSlot | string, id?: number): TaskStatus {
    const slot = typeof a === 'string' ? this.slot(a, id!) : a;
    const state = slot.runner && slot.state !== 'FAILED' && slot.state !== 'RESTARTING' ? slot.runner.state : slot.state;
    const progress =
      slot.runner && (state === 'RUNNING' || state === 'PAUSED') && slot.progress?.entries.length ? slot.progress.entries.map((p) => ({ ...p })) : undefined;
    return { id: slot.id, state, worker_id: this.id, ...(slot.trace && state === 'FAILED' ? { trace: slot.trace } : {}), ...(progress ? { progress } : {}) };
  }

  pause(name: string): Promise<void> {
    return this.lifecycle.run(name, () => this.setTarget(this.get(name), 'PAUSED'));
  }

  resume(name: string): Promise<void> {
    return this.lifecycle.run(name, () => this.setTarget(this.get(name), 'RUNNING'));
  }

  /** Resolves once every task stopped and committed its offsets. */
  stopConnector(name: string): Promise<void> {
    return this.lifecycle.run(name, () => this.setTarget(this.get(name), 'STOPPED'));
  }

  /**
   * Kafka Connect's restart: the connector, and with `includeTasks` its tasks; `onlyFailed`
   * limits it to instances that are FAILED. Returns the status after the restart began.
   */
  restart(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean } = {}): Promise<ConnectorStatus> {
    return this.lifecycle.run(name, () => this.restartNow(name, opts));
  }

  private async restartNow(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean }): Promise<ConnectorStatus> {
    const c = this.get(name);
    const restartConnector = !opts.onlyFailed || c.state === 'FAILED';
    // A FAILED connector has no tasks to restart: restarting it is what regenerates them.
    if (restartConnector && (!opts.includeTasks || c.state === 'FAILED')) {
      // The connector itself is the task-config generator: regenerate and restart on change.
      c.trace = undefined;
      await this.supervisor.stopTasks(c);
      await this.startConnector(c);
      return this.status(name);
    }
    if (opts.includeTasks) {
      const slots = c.tasks.filter((t) => !opts.onlyFailed || t.state === 'FAILED');
      await Promise.all(slots.map((slot) => this.supervisor.restartSlot(c, slot)));
    }
    return this.status(name);
  }

  restartTask(name: string, id: number): Promise<void> {
    return this.lifecycle.run(name, () => this.supervisor.restartSlot(this.get(name), this.slot(name, id)));
  }

  // ---- offsets (KIP-875): readable any time, changeable only while STOPPED ----

  async offsets(name: string): Promise<ConnectorOffset[]> {
    const c = this.get(name);
    if (c.definition.type === 'sink') return this.sinkOffsets(c).read();
    return (await this.o.offsetStore.getAll(name)).map((e) => ({ partition: { ...e.partition }, offset: e.offset ? { ...e.offset } : null }));
  }

  /** Queued behind a stop in progress, so the stopping tasks' final commit cannot undo the change. */
  alterOffsets(name: string, entries: ConnectorOffset[]): Promise<void> {
    validateOffsetWrites(name, entries);
    return this.lifecycle.run(name, async () => {
      const c = this.requireStopped(name);
      if (c.definition.type === 'sink') return this.sinkOffsets(c).alter(entries);
      await this.o.offsetStore.set(name, entries);
      await this.o.offsetStore.flush();
    });
  }

  /** Queued behind a stop in progress, so the stopping tasks' final commit cannot undo the reset. */
  resetOffsets(name: string): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const c = this.requireStopped(name);
      if (c.definition.type === 'sink') return this.sinkOffsets(c).reset();
      await this.o.offsetStore.deleteAll(name);
      await this.o.offsetStore.flush();
    });
  }

  /** The Kafka cluster's id for `GET /`, or undefined when Kafka cannot be reached in time. */
  kafkaClusterId(timeoutMs?: number): Promise<string | undefined> {
    return this.admin.kafkaClusterId(timeoutMs);
  }

  deadLetters(name: string, query: DeadLetterQuery): Promise<DeadLetters> {
    return this.readDeadLetters(name, this.get(name).raw, query);
  }

  /** Reads the dead-letter topic `raw` (a connector's config) names; 404 without one. */
  readDeadLetters(name: string, raw: RawConfig, query: DeadLetterQuery): Promise<DeadLetters> {
    const topic = raw['errors.deadletterqueue.topic.name'];
    if (!topic) throw new NotFoundError(`connector ${name} has no dead-letter topic (errors.deadletterqueue.topic.name)`);
    return readDeadLetters(this.o.kafka, this.o.schemaRegistry, topic, query);
  }

  /** Asks the source connector (config `raw`) for an incremental snapshot; its tasks read it while streaming. */
  async startSnapshot(name: string, request: SnapshotRequest, raw: RawConfig = this.get(name).raw): Promise<SnapshotInfo> {
    const { support, config } = await this.snapshotSupport(name, raw);
    return support.start(config, name, request);
  }

  async listSnapshots(name: string, raw: RawConfig = this.get(name).raw): Promise<SnapshotInfo[]> {
    const { support, config } = await this.snapshotSupport(name, raw);
    return support.list(config, name);
  }

  async cancelSnapshot(name: string, id: string, raw: RawConfig = this.get(name).raw): Promise<SnapshotInfo> {
    const { support, config } = await this.snapshotSupport(name, raw);
    const info = await support.cancel(config, name, id);
    if (!info) throw new NotFoundError(`connector ${name} has no snapshot ${id}`);
    return info;
  }

  /** Names of the topics the connector reads from or writes to (known statically). */
  topics(name: string): string[] {
    return connectorTopics(this.get(name));
  }

  // ---- internals ----

  private async snapshotSupport(name: string, raw: RawConfig): Promise<{ support: IncrementalSnapshots; config: unknown }> {
    const v = await this.validate(raw);
    const support = v.definition.type === 'source' ? v.definition.snapshots : undefined;
    if (!support) throw new BadRequestError(`connector ${name} (${v.definition.name}) does not support incremental snapshots`);
    return { support, config: v.config };
  }

  private sinkOffsets(c: ConnectorInstance): SinkOffsets {
    return new SinkOffsets(c.definition, c.config, c.name, () => this.admin.client());
  }

  private get(name: string): ConnectorInstance {
    const c = this.connectors.get(name);
    if (!c) throw new NotFoundError(`Connector ${name} not found`);
    return c;
  }

  private slot(name: string, id: number): TaskSlot {
    const slot = this.get(name).tasks.find((t) => t.id === id);
    if (!slot) throw new NotFoundError(`Task ${name}-${id} not found`);
    return slot;
  }

  private requireStopped(name: string): ConnectorInstance {
    const c = this.get(name);
    if (c.target !== 'STOPPED' || c.tasks.some((t) => t.runner)) {
      throw new BadRequestError(`Connectors must be in the STOPPED state before their offsets can be modified; ${name} is ${c.target}`);
    }
    return c;
  }

  private async create(name: string, raw: RawConfig, initial: TargetState, persist: boolean, owned?: ReadonlySet<number>): Promise<ConnectorInfo> {
    if (this.connectors.has(name)) throw new ConflictError(`Connector ${name} already exists`);
    const { secrets, ...validated } = await this.validate(raw);
    this.o.logs.setSecrets(name, secrets);
    const instance: ConnectorInstance = { name, raw: { ...raw }, ...validated, target: initial, state: 'UNASSIGNED', tasks: [], ...(owned ? { owned } : {}) };
    this.connectors.set(name, instance);
    if (persist) {
      try {
        await this.o.configStore?.save(name, instance.raw, initial);
      } catch (err) {
        this.connectors.delete(name);
        this.o.logs.setSecrets(name, []);
        throw err;
      }
    }
    await this.startConnector(instance);
    return this.info(name);
  }

  private async setTarget(c: ConnectorInstance, target: TargetState): Promise<void> {
    const previous = c.target;
    c.target = target;
    await this.o.configStore?.save(c.name, c.raw, target);
    if (target === 'STOPPED') {
      await this.supervisor.stopTasks(c);
      c.tasks = [];
      c.state = 'STOPPED';
      return;
    }
    if (previous === 'STOPPED') {
      await this.startConnector(c);
      return;
    }
    c.state = target;
    for (const t of c.tasks) {
      if (target === 'PAUSED') t.runner?.pause();
      else t.runner?.resume();
    }
  }

  private async startConnector(c: ConnectorInstance): Promise<void> {
    if (c.target === 'STOPPED') {
      c.state = 'STOPPED';
      c.tasks = [];
      return;
    }
    try {
      const configs = c.definition.taskConfigs(c.config as never, c.config['tasks.max']);
      c.tasks = configs.map((config, id) => ({ id, config, state: 'UNASSIGNED', backoff: new RestartBackoff(this.o.restartPolicy) }));
      c.state = c.target;
      c.trace = undefined;
    } catch (err) {
      c.state = 'FAILED';
      c.trace = this.o.logs.scrub(traceOf(err));
      c.tasks = [];
      return;
    }
    for (const slot of c.tasks) if (!c.owned || c.owned.has(slot.id)) this.supervisor.startTask(c, slot);
  }
}
