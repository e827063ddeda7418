import { AssignerProtocol, type Assigner, type Consumer, type GroupMember as KafkaGroupMember, type Kafka } from 'kafkajs';
import { backoffDelay, type Logger } from '../api/index.js';
import { leaveGroup } from '../kafka/leave-group.js';
import type { MemberWork } from './assignment.js';

/** What a worker tells the group when it joins (the member metadata's user data). */
export interface JoinMetadata {
  workerId: string;
  /** Where its REST API answers, for forwarded requests and for `conflux status`. */
  url: string;
  /** How far it has read the config topic. */
  configOffset: string;
  /** What it runs now: the leader keeps it there. */
  owned: MemberWork;
}

/** What the leader hands each member (the member assignment's user data). */
export interface GroupAssignment extends MemberWork {
  /** Increases with each assignment the leaders hand out; status entries carry it. */
  generation: number;
  leader: { workerId: string; url: string };
  /** The config offset the assignment was computed at: a member reads that far before applying it. */
  configOffset: string;
  /** This member gave up work for another: once it has stopped it, it rejoins so the next rebalance hands it out. */
  rejoin?: boolean;
  members: Array<{ workerId: string; url: string }>;
}

export interface GroupMemberOptions {
  groupId: string;
  /** A topic every member subscribes to (the config topic): the group's protocol needs one. */
  topic: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  metadata(): JoinMetadata;
  /** Leader only: the assignment of every member, by worker id. */
  assign(members: JoinMetadata[]): Promise<Map<string, Omit<GroupAssignment, 'leader' | 'members' | 'generation'> & { generation?: number }>>;
  /** `current()` turns false once a later join supersedes this assignment. */
  onAssignment(assignment: GroupAssignment, current: () => boolean): void;
  onRebalance(): void;
  logger: Logger;
}

const PROTOCOL = 'conflux-connect';
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

/**
 * This worker's membership in the cluster's Kafka consumer group. Kafka's group coordinator does
 * the membership (joins, leaves, session timeouts, choosing a leader); the group's one protocol
 * is a custom assigner whose member metadata carries the worker's {@link JoinMetadata} and whose
 * assignment carries the connectors and tasks the leader computed. The consumer itself reads
 * nothing of use: every member is handed partition 0 of the subscribed topic only so that its
 * fetch loop runs, because kafkajs heartbeats from that loop.
 */
export class GroupMember {
  private consumer: Consumer | undefined;
  private generation = 0;
  private leader = false;
  /** Counts joins, so that a slow read of an older assignment is dropped. */
  private joins = 0;
  /** The consumer's run(): settles once it has joined the group (see leaveGroup). */
  private joining: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly o: GroupMemberOptions,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: this.o.heartbeatIntervalMs,
      rebalanceTimeout: this.o.rebalanceTimeoutMs,
      maxWaitTimeInMs: Math.min(1000, this.o.heartbeatIntervalMs),
      partitionAssigners: [() => this.assigner()],
      // kafkajs would restart a crashed consumer on its own, with a join that nothing here
      // tracks (see leaveGroup); the crash handler below restarts it instead.
      retry: { restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => this.o.onRebalance());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.leader = payload.isLeader;
      void this.readAssignment(payload.memberId);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.o.logger.error('group membership failed: joining again', { group: this.o.groupId, error: payload.error.message });
      if (this.consumer === consumer) void this.restart(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: false });
    // Stopped meanwhile: a run() now would join as a member nothing stops.
    if (this.consumer !== consumer) {
      await consumer.disconnect().catch(() => undefined);
      return;
    }
    await this.run();
  }

  /** Leaves and joins again, so the leader computes a new assignment (after a change of the work). */
  async rejoin(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.o.onRebalance();
    // A stop during a join is ignored by kafkajs (see leaveGroup): the join in progress ends first.
    await this.joining?.catch(() => undefined);
    await consumer.stop();
    if (this.consumer === consumer) await this.run();
  }

  /** Leaves the group: its work goes to the others at once, not after the session timeout. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await leaveGroup(consumer, this.joining);
  }

  /** After a crash: a new consumer joins again, with backoff, until it has or the member stops. */
  private async restart(crashed: Consumer): Promise<void> {
    this.o.onRebalance();
    // The consumer to replace: the crashed one, then each one whose start failed.
    let current = crashed;
    for (let attempt = 0; this.consumer === current; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 1000, 30_000)));
      if (this.consumer !== current) return;
      await current.disconnect().catch(() => undefined);
      try {
        await this.start();
        return;
      } catch (err) {
        this.o.logger.warn('joining the group again failed', { group: this.o.groupId, error: (err as Error).message });
        current = this.consumer ?? current;
      }
    }
  }

  private run(): Promise<void> {
    this.joining = this.consumer!.run({ autoCommit: false, eachBatch: async () => undefined });
    return this.joining;
  }

  /**
   * The assignment reaches each member in its SyncGroup answer, which kafkajs does not pass on;
   * the group description has it once the group is stable again (the other members may still be
   * syncing when this member's join completes). A newer join supersedes this read.
   */
  private async readAssignment(memberId: string): Promise<void> {
    const join = ++this.joins;
    for (let attempt = 0; join === this.joins && this.consumer; attempt++) {
      try {
        const group = await this.consumer.describeGroup();
        const me = group.members.find((m) => m.memberId === memberId);
        if (group.state === 'Stable' && me) {
          const decoded = AssignerProtocol.MemberAssignment.decode(me.memberAssignment);
          if (!decoded?.userData.length) return;
          const assignment = JSON.parse(decoded.userData.toString('utf8')) as GroupAssignment;
          this.generation = Math.max(this.generation, assignment.generation);
          if (join === this.joins) this.o.onAssignment(assignment, () => join === this.joins);
          return;
        }
        if (!me && group.state === 'Stable') return; // this member was dropped: its next join brings the assignment
      } catch (err) {
        this.o.logger.warn('could not read the assignment yet', { group: this.o.groupId, error: (err as Error).message });
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 100, 2000)));
    }
  }

  private assigner(): Assigner {
    return {
      name: PROTOCOL,
      version: 0,
      protocol: ({ topics }) => ({
        name: PROTOCOL,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: json(this.o.metadata()) }),
      }),
      assign: async ({ members }) => {
        const joined = members.map((m: KafkaGroupMember) => ({ memberId: m.memberId, meta: decodeMetadata(m.memberMetadata) }));
        const metas = joined.map((j) => j.meta).filter((m): m is JoinMetadata => m !== undefined);
        const plan = await this.o.assign(metas);
        // Generations only grow, also across leaders: a new leader starts above what any member saw.
        const generation = Math.max(this.generation, ...[...plan.values()].map((p) => p.generation ?? 0)) + 1;
        this.generation = generation;
        const me = this.o.metadata();
        const roster = metas.map((m) => ({ workerId: m.workerId, url: m.url }));
        return joined.map(({ memberId, meta }) => {
          const work = meta ? plan.get(meta.workerId) : undefined;
          const assignment: GroupAssignment | undefined = work && {
            connectors: work.connectors,
            tasks: work.tasks,
            configOffset: work.configOffset,
            ...(work.rejoin ? { rejoin: true } : {}),
            generation,
            leader: { workerId: me.workerId, url: me.url },
            members: roster,
          };
          return {
            memberId,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({
              version: 0,
              assignment: { [this.o.topic]: [0] },
              userData: assignment ? json(assignment) : Buffer.alloc(0),
            }),
          };
        });
      },
    };
  }
}

function decodeMetadata(buffer: Buffer): JoinMetadata | undefined {
  try {
    const { userData } = AssignerProtocol.MemberMetadata.decode(buffer)!;
    return JSON.parse(userData.toString('utf8')) as JoinMetadata;
  } catch {
    return undefined;
  }
}
