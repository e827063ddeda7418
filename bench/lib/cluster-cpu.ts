import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Clock ticks per second of /proc (USER_HZ): 100 on Linux for every architecture Node runs on. */
const TICKS = 100;

/** Named groups of process ids whose CPU time a window reports, e.g. the process of one worker. */
export type ProcessGroups = Record<string, readonly number[]>;

export interface CpuSample {
  at: number;
  /** Ticks of all cores together: busy (not idle, not waiting for I/O) and in total. */
  machine: { busy: number; total: number; interrupts: number };
  /** CPU seconds (user + system) so far, by group. */
  groups: Record<string, number>;
}

export interface CpuWindow {
  seconds: number;
  /** CPU seconds each group used in the window. */
  groups: Record<string, number>;
  /** Share of the machine's cores that were busy (0..1), and that share in cores. */
  machineShare: number;
  machineCores: number;
  /** Cores' worth of interrupt handling (irq + softirq: much of it loopback network traffic), which no process is charged for. */
  interruptCores: number;
  cores: number;
}

function machineTicks(): CpuSample['machine'] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu  user nice system idle iowait irq softirq steal (guest time is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, interrupts: irq + softirq };
}

interface Stat {
  comm: string;
  ppid: number;
  /** utime + stime, and cutime + cstime (children that exited and were waited for), in seconds. */
  own: number;
  children: number;
}

/** A process's fields of proc(5) /proc/<pid>/stat; undefined once it is gone. */
function stat(pid: number | string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    return {
      comm,
      ppid: Number(fields[1]),
      own: (Number(fields[11]) + Number(fields[12])) / TICKS,
      children: (Number(fields[13]) + Number(fields[14])) / TICKS,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of every process named `command` (except `exclude`), including the children that
 * exited: a root of the family (whose parent has another name) adds its reaped children's time,
 * so PostgreSQL backends that come and go within a window are counted.
 */
function commandSeconds(command: string, exclude: readonly number[]): number {
  const family = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || exclude.includes(Number(entry))) continue;
    const s = stat(entry);
    if (s?.comm === command) family.set(Number(entry), s);
  }
  let seconds = 0;
  for (const s of family.values()) seconds += s.own + (family.has(s.ppid) ? 0 : s.children);
  return seconds;
}

/**
 * The machine's ticks and the CPU seconds of `groups` (fixed processes) and of `commands` (every
 * process of that name, e.g. the services' postgres and java, except the processes of `groups`).
 */
export function sampleCpu(groups: ProcessGroups, commands: readonly string[] = []): CpuSample {
  const sampled: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) sampled[name] = pids.reduce((sum, pid) => sum + (stat(pid)?.own ?? 0), 0);
  const own = Object.values(groups).flat();
  for (const command of commands) sampled[command] = commandSeconds(command, own);
  return { at: performance.now(), machine: machineTicks(), groups: sampled };
}

export function cpuWindow(from: CpuSample, to: CpuSample): CpuWindow {
  const share = (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total);
  const cores = cpus().length;
  const groups: Record<string, number> = {};
  for (const [name, before] of Object.entries(from.groups)) groups[name] = round((to.groups[name] ?? before) - before, 2);
  return {
    seconds: round((to.at - from.at) / 1000, 2),
    groups,
    machineShare: round(share, 2),
    machineCores: round(share * cores, 2),
    interruptCores: round(((to.machine.interrupts - from.machine.interrupts) / Math.max(1, to.machine.total - from.machine.total)) * cores, 2),
    cores,
  };
}

export const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Each group's CPU seconds and cores, the machine's busy cores, and the busy cores no group accounts for. */
export function describeCpu(w: CpuWindow): string {
  const own = Object.values(w.groups).reduce((a, b) => a + b, 0);
  const parts = Object.entries(w.groups).map(([name, s]) => `${name} ${s} s (${round(s / w.seconds, 2)} cores)`);
  const rest = round(w.machineCores - w.interruptCores - own / w.seconds, 2);
  return `${w.seconds} s: ${parts.join(', ')}; machine ${w.machineCores} of ${w.cores} cores busy (${Math.round(w.machineShare * 100)}%), of which ${w.interruptCores} cores interrupts and ${rest} cores other processes`;
}
