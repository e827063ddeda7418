/**
 * How the group leader hands out connectors and tasks (Kafka Connect's incremental cooperative
 * assignor in spirit): what a live member already runs stays with it, so a rebalance restarts
 * only what moves; what is new or lost goes to the least loaded members; then single units move
 * from the most to the least loaded member until no two members differ by more than one. Pure
 * functions of their inputs, so every leader computes the same assignment from the same state.
 *
 * A unit that moves from one live member to another moves in two rebalances, as in Kafka
 * Connect's cooperative protocol ({@link revokeFirst}): the first takes it from its owner only,
 * the owner stops it and rejoins, the second hands it out. So a task never runs on two workers.
 */

/** A task of a connector: `[connector, task id]`. */
export type TaskId = readonly [string, number];

export interface MemberWork {
  connectors: string[];
  tasks: TaskId[];
}

export interface MemberState {
  /** The worker's id, unique in the group; the order of members is the order of their ids. */
  workerId: string;
  /** What the member runs now, from its join metadata. */
  owned: MemberWork;
}

/** The cluster's work: every connector with its task count. */
export type Work = ReadonlyArray<{ name: string; tasks: number }>;

export function computeAssignment(members: readonly MemberState[], work: Work): Map<string, MemberWork> {
  const ids = [...new Set(members.map((m) => m.workerId))].sort();
  const connectorUnits = [...work].map((w) => w.name).sort();
  const taskUnits = [...work]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((w) => Array.from({ length: w.tasks }, (_, id) => taskKey([w.name, id])));
  const ownedConnectors = new Map(members.map((m) => [m.workerId, m.owned.connectors]));
  const ownedTasks = new Map(members.map((m) => [m.workerId, m.owned.tasks.map(taskKey)]));
  const connectors = balance(ids, connectorUnits, ownedConnectors);
  const tasks = balance(ids, taskUnits, ownedTasks);
  return new Map(ids.map((id) => [id, { connectors: connectors.get(id)!, tasks: tasks.get(id)!.map(parseTaskKey) }]));
}

/** A member's work for one rebalance: `rejoin` asks it to rejoin once it has stopped what it gave up. */
export interface RoundWork extends MemberWork {
  rejoin: boolean;
}

/**
 * The first of two rebalances for the units `target` moves between live members: such a unit
 * goes to nobody yet, its owner loses it and is asked to rejoin once it has stopped it; the next
 * rebalance finds it unowned and hands it out. Units that are new, or whose owner left the group,
 * are handed out at once.
 */
export function revokeFirst(members: readonly MemberState[], target: ReadonlyMap<string, MemberWork>): Map<string, RoundWork> {
  const owners = (units: (w: MemberWork) => string[]) => {
    const byUnit = new Map<string, Set<string>>();
    for (const m of members) for (const unit of units(m.owned)) byUnit.set(unit, (byUnit.get(unit) ?? new Set()).add(m.workerId));
    return byUnit;
  };
  const connectorUnits = (w: MemberWork) => w.connectors;
  const taskUnits = (w: MemberWork) => w.tasks.map(taskKey);
  const connectorOwners = owners(connectorUnits);
  const taskOwners = owners(taskUnits);
  const withheld = new Set<string>();
  // A unit someone else owns now waits for the next round.
  const hold = (id: string, units: string[], byUnit: Map<string, Set<string>>, kind: string) =>
    units.filter((unit) => {
      const owned = byUnit.get(unit);
      if (!owned || owned.has(id)) return true;
      withheld.add(`${kind}:${unit}`);
      return false;
    });
  const out = new Map<string, RoundWork>();
  for (const [id, work] of target) {
    const connectors = hold(id, work.connectors, connectorOwners, 'c');
    const tasks = hold(id, work.tasks.map(taskKey), taskOwners, 't').map(parseTaskKey);
    out.set(id, { connectors, tasks, rejoin: false });
  }
  for (const m of members) {
    const gave = connectorUnits(m.owned).some((u) => withheld.has(`c:${u}`)) || taskUnits(m.owned).some((u) => withheld.has(`t:${u}`));
    const round = out.get(m.workerId);
    if (round && gave) round.rejoin = true;
  }
  return out;
}

export function taskKey([name, id]: TaskId): string {
  return JSON.stringify([name, id]);
}

function parseTaskKey(key: string): TaskId {
  return JSON.parse(key) as [string, number];
}

function balance(ids: readonly string[], units: readonly string[], owned: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const out = new Map(ids.map((id) => [id, [] as string[]]));
  if (ids.length === 0) return out;
  const exists = new Set(units);
  const claimed = new Set<string>();
  // Keep what each member runs, once, if it still exists.
  for (const id of ids) {
    for (const unit of owned.get(id) ?? []) {
      if (exists.has(unit) && !claimed.has(unit)) {
        claimed.add(unit);
        out.get(id)!.push(unit);
      }
    }
  }
  const ceiling = Math.ceil(units.length / ids.length);
  const free = units.filter((u) => !claimed.has(u));
  // A member above the ceiling gives up its surplus first (the units it took last).
  for (const id of ids) {
    const mine = out.get(id)!;
    while (mine.length > ceiling) free.push(mine.pop()!);
  }
  const leastLoaded = () => ids.reduce((best, id) => (out.get(id)!.length < out.get(best)!.length ? id : best), ids[0]!);
  const mostLoaded = () => ids.reduce((best, id) => (out.get(id)!.length > out.get(best)!.length ? id : best), ids[0]!);
  for (const unit of free.sort()) out.get(leastLoaded())!.push(unit);
  for (;;) {
    const from = mostLoaded();
    const to = leastLoaded();
    if (out.get(from)!.length - out.get(to)!.length <= 1) break;
    out.get(to)!.push(out.get(from)!.pop()!);
  }
  for (const mine of out.values()) mine.sort();
  return out;
}
