import { cpuWindow, sampleCpu, type CpuWindow, type ProcessGroups } from './cluster-cpu.js';
import { until } from './report.js';

export interface Progress {
  /** Records done so far. */
  count: number;
  /** Whether every task has done some: the window starts at the first poll where this holds. */
  started: boolean;
}

export interface Window {
  /** Records counted in the window: from the poll where every task had started to the n-th. */
  records: number;
  seconds: number;
  perSecond: number;
  cpu: CpuWindow;
  /** The window on the monotonic clock in microseconds, which V8's CPU profiles use too. */
  monotonicUs: { from: number; to: number };
}

const SERVICES = ['postgres', 'java'];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Polls `progress` until n records are done and times the window from the first poll where every
 * task had started to the poll that saw all n, so start-up (group join, task start, lookup table
 * restore) is not in the rate. When that first poll already saw all n, the window starts at the
 * first poll. The CPU of `groups`, of the services (every `postgres` process: PostgreSQL and its
 * backends; every `java` process: Kafka, the registry and the MongoDB test servers), of this
 * script and of the machine is sampled at both ends.
 */
export async function measureWindow(what: string, n: number, progress: () => Promise<Progress>, groups: ProcessGroups, timeoutMs = 900_000): Promise<Window> {
  const all = { ...groups, 'this script': [process.pid] };
  const sample = () => ({ cpu: sampleCpu(all, SERVICES), us: monotonicUs() });
  const initial = { ...sample(), count: 0 };
  let from: typeof initial | undefined;
  let to = initial;
  await until(
    what,
    async () => {
      const p = await progress();
      if (!from && p.started && p.count < n) from = { ...sample(), count: p.count };
      if (p.count < n) return false;
      to = { ...sample(), count: p.count };
      return true;
    },
    timeoutMs,
    50,
  );
  const start = from ?? initial;
  const cpu = cpuWindow(start.cpu, to.cpu);
  const records = n - start.count;
  return {
    records,
    seconds: cpu.seconds,
    perSecond: Math.round(records / cpu.seconds),
    cpu,
    monotonicUs: { from: start.us, to: to.us },
  };
}
