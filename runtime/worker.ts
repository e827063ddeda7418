import { isDeepStrictEqual } from 'node:util';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ConfigErrorEntry, ConnectorDefinition, Logger, TaskProgress } from './api/index.js';
import { parseList, type CommonConnectorConfig, type SourceConnectorConfig } from './config/connector-schema.js';
import { connectorSecretKeys, looksSecret, redactString } from './config/redact.js';
import { validateConnectorConfig, type TransformSpec } from './config/validate.js';
import { createConverter } from './converters/index.js';
import { DeadLetterWriter } from './dead-letter.js';
import { RecordErrorHandler, type ErrorPolicy } from './error-handler.js';
import { BadRequestError, ConfigError, ConflictError, NotFoundError } from './errors.js';
import type { LogManager } from './logging.js';
import type { WorkerMetrics } from './metrics.js';
import { validateOffsetWrites } from './offsets/offset-value.js';
import { alterSinkOffsets, fetchSinkOffsets, resetSinkOffsets, type ConnectorOffset } from './offsets/sink-group-offsets.js';
import type { OffsetStore } from './offsets/store.js';
import { connectorPlugin, transformLookup, type PluginRegistry } from './plugins.js';
import { MIN_SCRUBBED_LENGTH } from './secret-scrubber.js';
import { batchSettings } from './sink-batch.js';
import { SinkTaskRunner } from './sink-runner.js';
import { LookupTableRegistry } from './tables/registry.js';
import { SourceTaskRunner } from './source-runner.js';
import type { ConnectorStatus, ObservedState, TargetState, TaskStatus } from './status.js';
import { RestartBackoff, type RestartPolicy } from './restart-policy.js';
import { SerialQueue } from './serial-queue.js';
import type { TaskRunner } from './task-runner.js';
import { buildTransformChain } from './transform-chain.js';

export type { RestartPolicy } from './restart-policy.js';

/** Raw connector config as given by the user: string values, placeholders unresolved. */
export type RawConfig = Readonly<Record<string, string>>;

/** Where connector configs and desired states survive a worker restart (standalone: a file). */
export interface ConnectorConfigStore {
  load(): Promise<Array<{ name: string; config: RawConfig; target: TargetState }>>;
  save(name: string, config: RawConfig, target: TargetState): Promise<void>;
  remove(name: string): Promise<void>;
}

export interface WorkerOptions {
  workerId: string;
  plugins: PluginRegistry;
  kafka: Kafka;
  schemaRegistry?: SchemaRegistry;
  offsetStore: OffsetStore;
  logs: LogManager;
  metrics: WorkerMetrics;
  /** Resolves `${env:..}` / `${file:..}` placeholders; returns the values that are secrets. */
  resolveConfig: (raw: RawConfig) => Promise<{ config: Record<string, string>; secrets: string[] }>;
  restartPolicy?: RestartPolicy;
  configStore?: ConnectorConfigStore;
}

interface TaskSlot {
  id: number;
  config: unknown;
  state: ObservedState;
  trace?: string;
  /** Set until the runner's `run()` settled, also while it is being stopped. */
  runner?: TaskRunner;
  /** The runner being stopped on request: its end is not a failure to restart from. */
  stopping?: TaskRunner;
  /** What the current runner's task last reported through `ctx.reportProgress`. */
  progress?: { entries: TaskProgress[] };
  backoff: RestartBackoff;
  restartTimer?: NodeJS.Timeout;
}

interface ConnectorInstance {
  name: string;
  raw: RawConfig;
  definition: ConnectorDefinition;
  config: CommonConnectorConfig & Record<string, unknown>;
  transforms: readonly TransformSpec[];
  target: TargetState;
  state: ObservedState;
  trace?: string;
  tasks: TaskSlot[];
}

export interface ConnectorInfo {
  name: string;
  config: RawConfig;
  tasks: Array<{ connector: string; task: number }>;
  type: 'source' | 'sink';
}

export type ValidatedConfig = { definition: ConnectorDefinition; config: CommonConnectorConfig & Record<string, unknown>; transforms: readonly TransformSpec[] };

/** A validated config and the values to scrub once it is in use: resolved placeholders and declared secrets. */
type Validated = ValidatedConfig & { secrets: string[] };

/**
 * Owns the connectors and their tasks on this worker: desired state (what the operator asked)
 * versus observed state (what the tasks do), task supervision and restarts, and the lifecycle of
 * the Kafka clients the tasks share. It knows nothing about any particular connector.
 */
/** How long `GET /` goes without asking Kafka for its cluster id again after a failed lookup. */
const CLUSTER_ID_RETRY_MS = 5_000;

export class Worker {
  readonly id: string;
  private readonly connectors = new Map<string, ConnectorInstance>();
  /** Every lifecycle operation runs in this queue under its connector's name. */
  private readonly lifecycle = new SerialQueue();
  private readonly logger: Logger;
  private dlqProducer: Producer | undefined;
  private admin: Promise<Admin> | undefined;
  private stopping = false;
  private clusterId: string | undefined;
  private clusterIdLookup: Promise<string | undefined> | undefined;
  private clusterIdRetryAt = 0;
  private readonly tables: LookupTableRegistry;

  constructor(private readonly o: WorkerOptions) {
    this.id = o.workerId;
    this.logger = o.logs.get('worker');
    this.tables = new LookupTableRegistry({ kafka: o.kafka, logger: o.logs.get('tables'), workerId: o.workerId });
  }

  get plugins(): PluginRegistry {
    return this.o.plugins;
  }

  get metrics(): WorkerMetrics {
    return this.o.metrics;
  }

  /** Starts the offset store and the connectors saved by an earlier run. */
  async start(): Promise<void> {
    await this.o.offsetStore.start();
    for (const saved of (await this.o.configStore?.load()) ?? []) {
      try {
        await this.lifecycle.run(saved.name, () => this.create(saved.name, saved.config, saved.target, false));
      } catch (err) {
        this.logger.error('could not restore a saved connector', { connector: saved.name, error: (err as Error).message });
      }
    }
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
          if (c) await this.stopTasks(c);
        }),
      ),
    );
    await this.tables.close();
    await this.dlqProducer?.disconnect().catch(() => undefined);
    await this.admin?.then((admin) => admin.disconnect()).catch(() => undefined);
    await this.o.offsetStore.stop();
  }

  connectorNames(): string[] {
    return [...this.connectors.keys()].sort();
  }

  has(name: string): boolean {
    return this.connectors.has(name);
  }

  /** Validates a raw config the way create/update would; throws ConfigError with every error. */
  async validate(raw: RawConfig): Promise<Validated> {
    const className = raw['connector.class'];
    const definition = className ? connectorPlugin(this.o.plugins, className) : undefined;
    if (!definition) {
      throw new ConfigError([
        {
          key: 'connector.class',
          message: className
            ? `unknown connector plugin '${className}' (known: ${Object.keys(this.o.plugins.connectors).join(', ') || 'none'})`
            : 'missing required key',
        },
      ]);
    }
    const { config, secrets } = await this.o.resolveConfig(raw);
    const lookup = transformLookup(this.o.plugins);
    const result = validateConnectorConfig(definition.config, config, { kind: definition.type, lookup });
    // A rejected config registers nothing (registering before validation let any caller grow the
    // set without bound); its error texts are scrubbed of what was resolved for it instead.
    const refused = (errors: readonly ConfigErrorEntry[]) => new ConfigError(errors.map((e) => ({ key: e.key, message: redactString(e.message, secrets) })));
    if (!result.ok) throw refused(result.errors);
    // Then the plugin's own checks of what its schema cannot express (keys that must agree).
    const checks = definition.validate?.(result.config as never) ?? [];
    if (checks.length > 0) throw refused(checks);
    // Resolved placeholders, and the values of keys the schemas declare secret, are scrubbed from
    // logs, traces and dead-letter headers while the connector runs with this config.
    const marked = connectorSecretKeys(config, definition.config, lookup);
    const plain = Object.entries(config).filter(([key, value]) => (marked.has(key) || looksSecret(key)) && typeof value === 'string');
    const short = plain.filter(([, value]) => (value as string).length > 0 && (value as string).length < MIN_SCRUBBED_LENGTH);
    if (short.length > 0) {
      throw new ConfigError(short.map(([key]) => ({ key, message: `a secret must have at least ${MIN_SCRUBBED_LENGTH} characters: a shorter one cannot be kept out of logs` })));
    }
    return {
      definition,
      config: result.config as ValidatedConfig['config'],
      transforms: result.transforms,
      secrets: [...secrets, ...plain.map(([, value]) => value as string)],
    };
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
    const { secrets, ...validated } = await this.validate(raw);
    // The old tasks log with the old values until they are stopped.
    this.o.logs.setSecrets(name, secrets, { keepPrevious: true });
    await this.stopTasks(existing);
    this.o.logs.setSecrets(name, secrets);
    Object.assign(existing, validated, { raw: { ...raw } });
    await this.o.configStore?.save(name, existing.raw, existing.target);
    await this.startConnector(existing);
    return { created: false, info: this.info(name) };
  }

  deleteConnector(name: string): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const instance = this.get(name);
      this.connectors.delete(name);
      await this.stopTasks(instance);
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
    const progress = slot.runner && (state === 'RUNNING' || state === 'PAUSED') && slot.progress?.entries.length ? slot.progress.entries.map((p) => ({ ...p })) : undefined;
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
      await this.stopTasks(c);
      await this.startConnector(c);
      return this.status(name);
    }
    if (opts.includeTasks) {
      const slots = c.tasks.filter((t) => !opts.onlyFailed || t.state === 'FAILED');
      await Promise.all(slots.map((slot) => this.restartSlot(c, slot)));
    }
    return this.status(name);
  }

  restartTask(name: string, id: number): Promise<void> {
    return this.lifecycle.run(name, () => this.restartSlot(this.get(name), this.slot(name, id)));
  }

  // ---- offsets (KIP-875): readable any time, changeable only while STOPPED ----

  async offsets(name: string): Promise<ConnectorOffset[]> {
    const c = this.get(name);
    if (c.definition.type === 'sink') return fetchSinkOffsets(await this.adminClient(), name, parseList(c.config.topics as string | undefined));
    return (await this.o.offsetStore.getAll(name)).map((e) => ({ partition: { ...e.partition }, offset: e.offset ? { ...e.offset } : null }));
  }

  /** Queued behind a stop in progress, so the stopping tasks' final commit cannot undo the change. */
  alterOffsets(name: string, entries: ConnectorOffset[]): Promise<void> {
    validateOffsetWrites(name, entries);
    return this.lifecycle.run(name, async () => {
      const c = this.requireStopped(name);
      if (c.definition.type === 'sink') return alterSinkOffsets(await this.adminClient(), name, entries);
      await this.o.offsetStore.set(name, entries);
      await this.o.offsetStore.flush();
    });
  }

  /** Queued behind a stop in progress, so the stopping tasks' final commit cannot undo the reset. */
  resetOffsets(name: string): Promise<void> {
    return this.lifecycle.run(name, async () => {
      const c = this.requireStopped(name);
      if (c.definition.type === 'sink') return resetSinkOffsets(await this.adminClient(), name);
      await this.o.offsetStore.deleteAll(name);
      await this.o.offsetStore.flush();
    });
  }

  /** The Kafka cluster's id for `GET /`, or undefined when Kafka cannot be reached in time. */
  async kafkaClusterId(timeoutMs = 2000): Promise<string | undefined> {
    if (this.clusterId) return this.clusterId;
    // One lookup at a time however many requests ask, and none for a while after one failed:
    // `GET /` must not open a broker connection per hit while Kafka is away.
    if (Date.now() < this.clusterIdRetryAt) return undefined;
    this.clusterIdLookup ??= (async () => {
      const lookup = this.adminClient().then((admin) => admin.describeCluster());
      lookup.catch(() => undefined);
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
      const cluster = await Promise.race([lookup, timeout]).catch(() => undefined);
      this.clusterId = cluster?.clusterId;
      if (!this.clusterId) this.clusterIdRetryAt = Date.now() + CLUSTER_ID_RETRY_MS;
      return this.clusterId;
    })().finally(() => {
      this.clusterIdLookup = undefined;
    });
    return this.clusterIdLookup;
  }

  /** Names of the topics the connector reads from or writes to (known statically). */
  topics(name: string): string[] {
    const c = this.get(name);
    if (c.definition.type === 'sink') return parseList(c.config.topics as string | undefined);
    const topic = c.config.topic ?? c.config['topic.prefix'];
    return typeof topic === 'string' ? parseList(topic) : [];
  }

  // ---- internals ----

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

  private async create(name: string, raw: RawConfig, initial: TargetState, persist: boolean): Promise<ConnectorInfo> {
    if (this.connectors.has(name)) throw new ConflictError(`Connector ${name} already exists`);
    const { secrets, ...validated } = await this.validate(raw);
    this.o.logs.setSecrets(name, secrets);
    const instance: ConnectorInstance = { name, raw: { ...raw }, ...validated, target: initial, state: 'UNASSIGNED', tasks: [] };
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
      await this.stopTasks(c);
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
    for (const slot of c.tasks) this.startTask(c, slot);
  }

  private startTask(c: ConnectorInstance, slot: TaskSlot): void {
    // A stopping worker starts nothing, whatever was queued: no task outlives stop().
    if (this.stopping) return;
    const runner = this.createRunner(c, slot);
    slot.runner = runner;
    slot.state = 'RUNNING';
    slot.trace = undefined;
    slot.backoff.started();
    if (c.target === 'PAUSED') runner.pause();
    this.o.metrics.taskState.set({ connector: c.name, task: String(slot.id) }, 1);
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
    const delay = this.stopping ? undefined : slot.backoff.failed();
    if (delay === undefined) return;
    this.o.metrics.taskRestarts.inc({ connector: c.name, task: String(slot.id) });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.lifecycle
        .run(c.name, async () => {
          // The connector may have been deleted, stopped, reconfigured or restarted meanwhile.
          if (this.connectors.get(c.name) !== c || !c.tasks.includes(slot) || c.target === 'STOPPED' || slot.state !== 'FAILED') return;
          this.logger.info('restarting failed task', { connector: c.name, task: slot.id, attempt: slot.backoff.attempt });
          slot.state = 'RESTARTING';
          this.startTask(c, slot);
        })
        .catch((err: unknown) => this.logger.error('automatic task restart failed', { connector: c.name, task: slot.id, error: (err as Error).message }));
    }, delay);
    slot.restartTimer.unref();
  }

  private async restartSlot(c: ConnectorInstance, slot: TaskSlot): Promise<void> {
    if (c.target === 'STOPPED') return;
    slot.state = 'RESTARTING';
    await this.stopSlot(slot);
    slot.backoff.reset();
    this.startTask(c, slot);
  }

  /** Stops the slot's runner; the slot keeps it until it has stopped, so status and offsets see it. */
  private async stopSlot(slot: TaskSlot): Promise<void> {
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

  private async stopTasks(c: ConnectorInstance): Promise<void> {
    await Promise.all(c.tasks.map((slot) => this.stopSlot(slot)));
    for (const slot of c.tasks) {
      if (slot.state !== 'FAILED') slot.state = 'UNASSIGNED';
      this.o.metrics.taskState.set({ connector: c.name, task: String(slot.id) }, 0);
    }
  }

  private createRunner(c: ConnectorInstance, slot: TaskSlot): TaskRunner {
    const abort = new AbortController();
    const logger = this.o.logs.get(`task.${c.name}-${slot.id}`);
    const cfg = c.config;
    const labels = { connector: c.name, task: String(slot.id) };
    const dlqTopic = cfg['errors.deadletterqueue.topic.name'];
    const policy: ErrorPolicy = {
      tolerance: cfg['errors.tolerance'],
      retryTimeoutMs: cfg['errors.retry.timeout'],
      retryMaxDelayMs: cfg['errors.retry.delay.max.ms'],
      logErrors: cfg['errors.log.enable'],
      ...(dlqTopic
        ? {
            deadLetter: new DeadLetterWriter(
              this.dlqProducerClient(),
              dlqTopic,
              c.name,
              slot.id,
              cfg['errors.deadletterqueue.context.headers.enable'],
              (t) => this.o.logs.scrub(t),
            ),
          }
        : {}),
    };
    const errors = new RecordErrorHandler(policy, labels, this.o.metrics, logger, abort.signal);
    const keyConverter = createConverter(cfg['key.converter'], 'key', this.o.schemaRegistry);
    const valueConverter = createConverter(cfg['value.converter'], 'value', this.o.schemaRegistry);
    // Progress belongs to this runner: a runner still stopping cannot overwrite its successor's.
    const progress = { entries: [] as TaskProgress[] };
    slot.progress = progress;
    const reportProgress = (entries: readonly TaskProgress[]) => {
      if (slot.progress === progress) progress.entries = entries.map((p) => ({ ...p }));
    };
    const context = { connector: c.name, taskId: slot.id, logger, metrics: this.o.metrics.forTask(c.name, slot.id), reportProgress };
    // Lookup tables a transform opens are decoded with the connector's converters and shared by
    // every task of this worker that opens the same topic.
    const buildChain = () =>
      buildTransformChain(c.transforms, transformLookup(this.o.plugins), { logger, metrics: context.metrics, tables: this.tables.forChain(keyConverter, valueConverter) });
    if (c.definition.type === 'source') {
      return new SourceTaskRunner({
        connector: c.name,
        taskId: slot.id,
        task: c.definition.createTask(),
        taskConfig: slot.config,
        kafka: this.o.kafka,
        keyConverter,
        valueConverter,
        buildChain,
        offsetStore: this.o.offsetStore,
        errors,
        abort,
        offsetFlushIntervalMs: cfg['offset.flush.interval.ms'],
        maxInFlightBatches: (cfg as SourceConnectorConfig)['max.in.flight.batches'],
        maxRequestBytes: (cfg as SourceConnectorConfig)['producer.max.request.size'],
        metrics: this.o.metrics,
        logger,
        context,
      });
    }
    return new SinkTaskRunner({
      connector: c.name,
      taskId: slot.id,
      task: c.definition.createTask(),
      taskConfig: slot.config,
      kafka: this.o.kafka,
      topics: parseList(cfg.topics as string | undefined),
      keyConverter,
      valueConverter,
      buildChain,
      errors,
      abort,
      metrics: this.o.metrics,
      logger,
      context,
      batch: batchSettings(cfg as Record<string, unknown>),
    });
  }

  private dlqProducerClient(): Producer {
    if (!this.dlqProducer) {
      const producer = this.o.kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1 });
      // Connect on first use, and again after a failed attempt: a worker may start before Kafka.
      let connected: Promise<void> | undefined;
      const send = producer.send.bind(producer);
      producer.send = async (record) => {
        connected ??= producer.connect().catch((err: unknown) => {
          connected = undefined;
          throw err;
        });
        await connected;
        return send(record);
      };
      this.dlqProducer = producer;
    }
    return this.dlqProducer;
  }

  private adminClient(): Promise<Admin> {
    // One client however many callers race; a failed connect is forgotten so the next call retries.
    this.admin ??= (async () => {
      const admin = this.o.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

}

function traceOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let trace = err.stack ?? `${err.name}: ${err.message}`;
  let cause = err.cause;
  while (cause instanceof Error) {
    trace += `\nCaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return trace;
}
