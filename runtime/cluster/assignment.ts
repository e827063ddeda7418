/**
 * How the group leader hands out connectors and tasks (Kafka Connect's incremental cooperative
 * assignor in spirit): what a live member already runs stays with it, so a rebalance restarts
 * only what moves; what is new or lost goes to the least loaded members; then single units move
 * from the most to the least loaded member until no two members differ by more than one. A pure
 * function of its inputs, so every leader computes the same assignment from the same state.
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
