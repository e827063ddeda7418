/**
 * tsx bench/lib/profile-summary.ts FILE.cpuprofile [--top N] [--from US --to US] [--by-origin]
 *
 * Prints where a V8 CPU profile (node --cpu-prof) spent its time: self time per function and the
 * share of garbage collection, so a benchmark's missed goal can be explained from a profile.
 * --from/--to keep only the samples in that window of the monotonic clock in microseconds (the
 * clock of the profile's startTime and of process.hrtime), e.g. a benchmark's measured window.
 * --by-origin adds the self time summed by where the code comes from: a package under
 * node_modules, a top-level folder of this project, Node's internals, or V8's own entries.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, from: { type: 'string' }, to: { type: 'string' }, 'by-origin': { type: 'boolean', default: false } },
});
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const from = values.from === undefined ? -Infinity : Number(values.from);
const to = values.to === undefined ? Infinity : Number(values.to);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const origins = new Map<string, number>();

function origin(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/work\/[^/]+\/([^/]+)\//.exec(url);
  return own ? `${own[1]}/` : url;
}

let total = 0;
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  if (at < from || at > to) return;
  total += dt;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules\/|work\/[^/]+\/)/, '')}:${lineNumber + 1}` : '';
  const name = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(name, (self.get(name) ?? 0) + dt);
  const o = origin(functionName, url);
  origins.set(o, (origins.get(o) ?? 0) + dt);
});
const line = ([name, us]: [string, number]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
if (values['by-origin']) {
  console.log('by origin:');
  for (const row of [...origins].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(line(row));
  console.log('by function:');
}
for (const row of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(line(row));
