import { readFileSync } from 'node:fs';

/**
 * A process's CPU seconds (utime + stime, fields 14 and 15 of proc(5)'s stat) and its resident set:
 * peak (VmHWM) and current (VmRSS), in MB. The same reading for a JVM and for Node.
 */
export function procStats(pid: number): { cpuS: number; peakRssMb: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { cpuS: ticks / 100, peakRssMb: Math.round(kb('VmHWM') / 102.4) / 10, rssMb: Math.round(kb('VmRSS') / 102.4) / 10 };
}

/** CPU time of the whole machine so far (all cores, seconds), busy and total, from /proc/stat. */
export function machineCpu(): { busyS: number; totalS: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busyS: busy / 100, totalS: (busy + idle + iowait) / 100 };
}
