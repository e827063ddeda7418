import type { DeadLetterQuery, DeadLetters } from '../tasks/dead-letter-reader.js';
import type { Kafka } from 'kafkajs';
import type { Logger, SnapshotInfo, SnapshotRequest } from '../api/index.js';
import type { WorkerConfig } from '../config/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { LogManager } from '../observability/logging.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { KafkaOffsetStore } from '../offsets/kafka-store.js';
import type { ConnectorOffset } from '../offsets/sink-group-offsets.js';
import { withTimeout } from '../support/abortable.js';
import { connectorPlugin, type PluginRegistry } from '../worker/plugin-registry.js';
import { SerialQueue } from '../support/serial-queue.js';
import type { ConnectorStatus, TargetState, TaskStatus } from '../tasks/status.js';
import type { Worker } from '../worker/worker.js';
import { connectorTopics, traceOf, type ConnectorInfo, type RawConfig, type ValidatedConfig } from '../worker/connector-instance.js';
import { SharedAdmin } from '../kafka/shared-admin.js';
import { computeAssignment, revokeFirst, taskKey, type MemberWork, type RoundWork, type Work } from '../cluster/assignment.js';
import { ConfigTopicStore, type RestartRequest } from '../cluster/config-topic-store.js';
import { GroupMember, type GroupAssignment, type JoinMetadata } from '../cluster/group-member.js';
import { StatusReporter } from '../cluster/status-reporter.js';
import { StatusTopicStore } from '../cluster/status-topic-store.js';
import { WorkCatalog } from '../cluster/work-catalog.js';
import { ClusterOffsets } from './cluster-offsets.js';
import type { Herder } from './herder.js';

export interface DistributedHerderOptions {
  worker: Worker;
  kafka: Kafka;
  config: WorkerConfig;
  /** The worker's offset store: source offsets in the offsets topic, shared by the cluster. */
  offsetStore: KafkaOffsetStore;
  /** This worker's REST URL as the others reach it (see {@link DistributedHerder.advertise}). */
  url: string;
  logs: LogManager;
}

/** How long a stopping worker waits to leave the group before it exits regardless. */
const LEAVE_TIMEOUT_MS = 10_000;
const REBALANCING = 'Cannot complete the request: the cluster is rebalancing (workers joined or left, or connectors changed); try again in a moment';

/**
 * A worker in a cluster (`conflux distributed`), as Kafka Connect's DistributedHerder: desired
 * state in the config topic, written from any worker and followed by all; the observed state in
 * the status topic; connectors and tasks handed out by the group's leader through Kafka's group
 * coordinator ({@link GroupMember}); this worker runs what it was handed.
 */
export class DistributedHerder implements Herder {
  private readonly configs: ConfigTopicStore;
  private readonly statuses: StatusTopicStore;
  private readonly catalog: WorkCatalog;
  private readonly member: GroupMember;
  private readonly reporter: StatusReporter;
  private readonly admin: SharedAdmin;
  private readonly offsetOps: ClusterOffsets;
  private readonly logger: Logger;
  /** Assignment work and config changes applied one at a time, in order. */
  private readonly applying = new SerialQueue();
  private assignment: GroupAssignment | undefined;
  /** What this worker runs or still stops, as it tells the group when it joins. */
  private owned: MemberWork = { connectors: [], tasks: [] };
  private rebalancing = true;
  /** The work the leader last assigned: a change of it calls for a new assignment. */
  private assignedWork = '';
  private readonly unsubscribe: Array<() => void> = [];
  private url: string;

  constructor(private readonly o: DistributedHerderOptions) {
    const { config, kafka, logs } = o;
    this.logger = logs.get('herder');
    this.url = o.url;
    this.configs = new ConfigTopicStore(kafka, {
      topic: config['config.storage.topic'],
      replicationFactor: config['config.storage.replication.factor'],
      logger: logs.get('cluster.config'),
    });
    this.statuses = new StatusTopicStore(kafka, {
      topic: config['status.storage.topic'],
      replicationFactor: config['status.storage.replication.factor'],
      logger: logs.get('cluster.status'),
    });
    // Its own owner name: the worker drops a connector's secrets when it stops running it here.
    this.catalog = new WorkCatalog(
      this.configs,
      (raw) => o.worker.validate(raw),
      (name, values) => logs.setSecrets(`catalog:${name}`, values),
    );
    this.admin = new SharedAdmin(kafka);
    this.offsetOps = new ClusterOffsets({
      configs: this.configs,
      statuses: this.statuses,
      catalog: this.catalog,
      offsetStore: o.offsetStore,
      admin: this.admin,
    });
    this.reporter = new StatusReporter({
      workerId: this.id,
      worker: o.worker,
      configs: this.configs,
      statuses: this.statuses,
      assignment: () => this.assignment,
      logger: logs.get('cluster.status'),
    });
    this.member = new GroupMember(kafka, {
      groupId: config['group.id']!,
      topic: config['config.storage.topic'],
      sessionTimeoutMs: config['session.timeout.ms'],
      heartbeatIntervalMs: config['heartbeat.interval.ms'],
      rebalanceTimeoutMs: config['rebalance.timeout.ms'],
      metadata: () => this.joinMetadata(),
      assign: (members) => this.assign(members),
      onAssignment: (assignment, current) => {
        // A worker shutting down starts nothing: the others take its work once it has left. An
        // assignment superseded by a later join while it waited in the queue is not applied.
        if (!this.stopping) this.inOrder('applying an assignment', async () => (current() ? this.apply(assignment) : undefined));
      },
      onRebalance: () => {
        this.rebalancing = true;
      },
      logger: this.logger,
    });
  }

  get id(): string {
    return this.o.worker.id;
  }

  get plugins(): PluginRegistry {
    return this.o.worker.plugins;
  }

  get metrics(): WorkerMetrics {
    return this.o.worker.metrics;
  }

  /** The REST URL shared with the group, once the API listens (a port of 0 is chosen then). */
  advertise(url: string): void {
    this.url = url;
  }

  get groupId(): string {
    return this.o.config['group.id']!;
  }

  get leaderId(): string | undefined {
    return this.assignment?.leader.workerId;
  }

  /** The group's leader and members as of the last assignment (for forwarding and `GET /`). */
  get cluster(): Pick<GroupAssignment, 'leader' | 'members' | 'generation'> | undefined {
    return this.assignment && { leader: this.assignment.leader, members: this.assignment.members, generation: this.assignment.generation };
  }

  /** Reads the config and status topics to their ends, then joins the group; returns once this worker has its first assignment. */
  async start(): Promise<void> {
    await this.configs.start();
    await this.statuses.start();
    await this.o.worker.start();
    this.unsubscribe.push(this.configs.onChange((name) => this.inOrder('applying a config change', () => this.configChanged(name))));
    this.unsubscribe.push(this.configs.onRestart((name, request) => this.inOrder('restarting', () => this.restartHere(name, request))));
    // Connectors written while the topics and offsets were being read came before the listener.
    this.inOrder('reading the connectors', async () => void (await this.catalog.work()));
    this.reporter.start();
    const first = new Promise<void>((resolve) => {
      this.firstAssignment = resolve;
    });
    await this.member.start();
    await first;
  }

  private firstAssignment: (() => void) | undefined;
  private stopping = false;

  /** Stops the tasks here (each commits its offsets), then leaves the group, so the others take over at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    const began = Date.now();
    await this.reporter.stop();
    await this.o.worker.stop();
    const tasksStopped = Date.now();
    // kafkajs's disconnect waits for a rebalance in progress; past the bound the process exits
    // anyway and the group drops this worker after session.timeout.ms.
    await withTimeout(
      this.member.stop().catch((err: unknown) => this.logger.warn('leaving the group failed', { error: (err as Error).message })),
      LEAVE_TIMEOUT_MS,
      () => this.logger.warn('did not leave the group in time: the others take over after session.timeout.ms'),
    );
    const left = Date.now();
    await this.admin.close();
    await this.statuses.stop();
    await this.configs.stop();
    this.logger.info('left the cluster', { tasksStopMs: tasksStopped - began, leaveMs: left - tasksStopped, totalMs: Date.now() - began });
  }

  // ---- reads: from this worker's copy of the config and status topics ----

  connectorNames(): string[] {
    return this.configs.connectorNames();
  }

  has(name: string): boolean {
    return this.configs.get(name) !== undefined;
  }

  validate(raw: RawConfig): Promise<ValidatedConfig> {
    return this.o.worker.validate(raw);
  }

  info(name: string): ConnectorInfo {
    const { config } = this.entry(name);
    const entry = this.catalog.cached(name);
    return {
      name,
      config,
      tasks: (entry?.taskConfigs ?? []).map((_, task) => ({ connector: name, task })),
      type: entry?.ok ? entry.validated.definition.type : typeOfClass(this.plugins, config),
    };
  }

  config(name: string): RawConfig {
    return this.entry(name).config;
  }

  target(name: string): TargetState {
    return this.entry(name).target;
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: unknown }> {
    this.entry(name);
    return (this.catalog.cached(name)?.taskConfigs ?? []).map((config, task) => ({ id: { connector: name, task }, config }));
  }

  status(name: string): ConnectorStatus {
    const info = this.info(name);
    const connector = this.statuses.connector(name);
    const reported = new Map(this.statuses.tasksOf(name).map((t) => [t.id, t]));
    const stopped = this.target(name) === 'STOPPED';
    return {
      name,
      connector: connector
        ? { state: connector.state, worker_id: connector.worker_id, ...(connector.trace ? { trace: connector.trace } : {}) }
        : { state: 'UNASSIGNED', worker_id: '' },
      tasks: stopped ? [] : info.tasks.map(({ task }) => taskView(task, reported.get(task))),
      type: info.type,
    };
  }

  taskStatus(name: string, id: number): TaskStatus {
    const task = this.status(name).tasks.find((t) => t.id === id);
    if (!task) throw new NotFoundError(`Task ${name}-${id} not found`);
    return task;
  }

  topics(name: string): string[] {
    this.entry(name);
    const entry = this.catalog.cached(name);
    return entry?.ok ? connectorTopics(entry.validated) : [];
  }

  kafkaClusterId(timeoutMs?: number): Promise<string | undefined> {
    return this.admin.kafkaClusterId(timeoutMs);
  }

  /** Any worker answers for any connector: the topic comes from the config topic's copy. */
  deadLetters(name: string, query: DeadLetterQuery): Promise<DeadLetters> {
    return this.o.worker.readDeadLetters(name, this.config(name), query);
  }

  // Any worker answers: the requests live where the plugin keeps them, not with the tasks.
  startSnapshot(name: string, request: SnapshotRequest): Promise<SnapshotInfo> {
    return this.o.worker.startSnapshot(name, request, this.config(name));
  }

  listSnapshots(name: string): Promise<SnapshotInfo[]> {
    return this.o.worker.listSnapshots(name, this.config(name));
  }

  cancelSnapshot(name: string, id: string): Promise<SnapshotInfo> {
    return this.o.worker.cancelSnapshot(name, id, this.config(name));
  }

  // ---- writes: validated here, applied through the config topic ----

  async createConnector(name: string, raw: RawConfig, initial: TargetState = 'RUNNING'): Promise<ConnectorInfo> {
    this.requireStable();
    await this.configs.readToEnd();
    if (this.has(name)) throw new ConflictError(`Connector ${name} already exists`);
    await this.validate(raw);
    // The target state first: no worker ever sees the config without its state.
    await this.configs.putTarget(name, initial);
    await this.configs.putConfig(name, raw);
    await this.catalog.entry(name);
    return this.info(name);
  }

  async putConnectorConfig(name: string, raw: RawConfig): Promise<{ created: boolean; info: ConnectorInfo }> {
    this.requireStable();
    await this.configs.readToEnd();
    if (!this.has(name)) return { created: true, info: await this.createConnector(name, raw) };
    if (!isSameConfig(this.config(name), raw)) {
      await this.validate(raw);
      await this.configs.putConfig(name, raw);
      await this.catalog.entry(name);
    }
    return { created: false, info: this.info(name) };
  }

  async patchConnectorConfig(name: string, change: (current: RawConfig) => RawConfig): Promise<ConnectorInfo> {
    this.requireStable();
    await this.configs.readToEnd();
    return (await this.putConnectorConfig(name, change(this.config(name)))).info;
  }

  async deleteConnector(name: string): Promise<void> {
    this.requireStable();
    await this.configs.readToEnd();
    this.entry(name);
    await this.configs.remove(name);
    await this.statuses.removeConnector(name);
  }

  pause(name: string): Promise<void> {
    return this.setTarget(name, 'PAUSED');
  }

  resume(name: string): Promise<void> {
    return this.setTarget(name, 'RUNNING');
  }

  stopConnector(name: string): Promise<void> {
    return this.setTarget(name, 'STOPPED');
  }

  async restart(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean } = {}): Promise<ConnectorStatus> {
    this.requireStable();
    this.entry(name);
    await this.configs.putRestart(name, { includeTasks: opts.includeTasks === true, onlyFailed: opts.onlyFailed === true });
    return this.status(name);
  }

  async restartTask(name: string, id: number): Promise<void> {
    this.requireStable();
    this.taskStatus(name, id);
    await this.configs.putRestart(name, { includeTasks: true, onlyFailed: false, task: id });
  }

  offsets(name: string): Promise<ConnectorOffset[]> {
    return this.offsetOps.get(name);
  }

  alterOffsets(name: string, entries: ConnectorOffset[]): Promise<void> {
    return this.offsetOps.alter(name, entries);
  }

  resetOffsets(name: string): Promise<void> {
    return this.offsetOps.reset(name);
  }

  // ---- internals ----

  /**
   * Queues cluster work behind what is under way. A failure (Kafka away while reading the config
   * topic to its end) is logged: the next assignment or change applies the state again.
   */
  private inOrder(what: string, work: () => Promise<void>): void {
    this.applying.run('cluster', work).catch((err: unknown) => this.logger.error(`${what} failed`, { error: this.o.logs.scrub((err as Error).message) }));
  }

  private entry(name: string) {
    const entry = this.configs.get(name);
    if (!entry) throw new NotFoundError(`Connector ${name} not found`);
    return entry;
  }

  private requireStable(): void {
    if (this.rebalancing) throw new ConflictError(REBALANCING);
  }

  private async setTarget(name: string, target: TargetState): Promise<void> {
    this.requireStable();
    await this.configs.readToEnd();
    this.entry(name);
    await this.configs.putTarget(name, target);
  }

  private joinMetadata(): JoinMetadata {
    return { workerId: this.id, url: this.url, configOffset: String(this.configs.offset), owned: this.owned };
  }

  /** Leader: every member's connectors and tasks, from the config topic read to its end. */
  private async assign(members: JoinMetadata[]): Promise<Map<string, RoundWork & { configOffset: string }>> {
    await this.configs.readToEnd();
    const work = await this.catalog.work();
    this.assignedWork = workKey(work);
    const plan = revokeFirst(members, computeAssignment(members, work));
    const revoking = [...plan].filter(([, w]) => w.rejoin).map(([id]) => id);
    this.logger.info('assigned connectors and tasks', {
      members: members.map((m) => m.workerId),
      connectors: work.length,
      tasks: work.reduce((n, w) => n + w.tasks, 0),
      ...(revoking.length > 0 ? { revokingFrom: revoking } : {}),
    });
    const configOffset = String(this.configs.offset);
    return new Map([...plan].map(([id, w]) => [id, { ...w, configOffset }]));
  }

  /** Runs what the assignment hands this worker; what stays assigned keeps running untouched. */
  private async apply(assignment: GroupAssignment): Promise<void> {
    if (this.stopping) return;
    const previous = this.assignment;
    // Until what the assignment takes away has stopped, this worker still claims it: a join
    // meanwhile (kafkajs rejoins on its own) must not let the leader hand it to another worker.
    this.owned = unionWork(this.owned, assignment);
    let applied = false;
    try {
      await this.configs.readToEnd();
      this.assignment = assignment;
      this.reporter.reassigned();
      const before = new Set(previous?.tasks.map(taskKey) ?? []);
      const names = new Set([...this.o.worker.connectorNames(), ...assignment.connectors, ...assignment.tasks.map(([name]) => name)]);
      const gained = assignment.tasks.filter((t) => !before.has(taskKey(t)));
      // Tasks moving here start from the offsets their previous worker committed.
      if (gained.length > 0) await this.o.offsetStore.refresh();
      for (const name of [...names].sort()) await this.applyConnector(name);
      this.owned = { connectors: assignment.connectors, tasks: assignment.tasks };
      applied = true;
      this.logger.info('applied the assignment', {
        generation: assignment.generation,
        connectors: assignment.connectors,
        tasks: assignment.tasks.map(([n, i]) => `${n}-${i}`),
      });
      await this.reporter.report();
    } finally {
      // What this worker gave up is stopped (or, after a failure, still claimed): the next
      // rebalance hands it out. Without this rejoin nothing would start that rebalance.
      if (assignment.rejoin && !this.stopping) {
        this.logger.info(applied ? 'stopped what the assignment revoked: rejoining' : 'applying an assignment failed: rejoining');
        await this.member.rejoin();
      }
    }
    if (assignment.rejoin || this.stopping) return;
    this.rebalancing = false;
    this.firstAssignment?.();
    this.firstAssignment = undefined;
    await this.leaderCheck();
  }

  /** Brings one connector here in line with the assignment and its config. */
  private async applyConnector(name: string): Promise<void> {
    const assignment = this.assignment;
    const entry = this.configs.get(name);
    const tasks = assignment?.tasks.filter(([n]) => n === name).map(([, id]) => id) ?? [];
    const ownsConnector = assignment?.connectors.includes(name) ?? false;
    if (!entry || (!ownsConnector && tasks.length === 0)) {
      await this.o.worker.release(name);
      this.reporter.failures.delete(name);
      return;
    }
    try {
      await this.o.worker.assign(name, entry.config, entry.target, tasks);
      this.reporter.failures.delete(name);
    } catch (err) {
      this.reporter.failures.set(name, this.o.logs.scrub(traceOf(err)));
      this.logger.error('could not run an assigned connector', { connector: name, error: this.o.logs.scrub((err as Error).message) });
    }
  }

  private async configChanged(name: string): Promise<void> {
    await this.catalog.entry(name);
    if (this.assignment) {
      await this.applyConnector(name);
      await this.reporter.report();
    }
    await this.leaderCheck();
  }

  /** Leader: a connector added or deleted, or a task count changed, needs a new assignment. */
  private async leaderCheck(): Promise<void> {
    if (!this.member.isLeader || this.rebalancing) return;
    if (workKey(await this.catalog.work()) === this.assignedWork) return;
    this.logger.info('the work changed: rebalancing');
    await this.member.rejoin();
  }

  private async restartHere(name: string, request: RestartRequest): Promise<void> {
    if (!this.o.worker.has(name)) return;
    const mine = new Set(this.assignment?.tasks.filter(([n]) => n === name).map(([, id]) => id));
    try {
      if (request.task !== undefined) {
        if (mine.has(request.task)) await this.o.worker.restartTask(name, request.task);
        return;
      }
      if (this.assignment?.connectors.includes(name) || request.includeTasks) await this.o.worker.restart(name, request);
    } catch (err) {
      this.logger.warn('restart failed', { connector: name, error: (err as Error).message });
    }
    await this.reporter.report();
  }
}

function taskView(id: number, reported: { state: TaskStatus['state']; worker_id: string; trace?: string } | undefined): TaskStatus {
  if (!reported) return { id, state: 'UNASSIGNED', worker_id: '' };
  return { id, state: reported.state, worker_id: reported.worker_id, ...(reported.trace ? { trace: reported.trace } : {}) };
}

function unionWork(a: MemberWork, b: MemberWork): MemberWork {
  const tasks = new Map([...a.tasks, ...b.tasks].map((t) => [taskKey(t), t]));
  return { connectors: [...new Set([...a.connectors, ...b.connectors])], tasks: [...tasks.values()] };
}

function workKey(work: Work): string {
  return JSON.stringify(work);
}

function isSameConfig(a: RawConfig, b: RawConfig): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function typeOfClass(plugins: PluginRegistry, config: RawConfig): 'source' | 'sink' {
  return connectorPlugin(plugins, config['connector.class'] ?? '')?.type ?? 'source';
}
