/**
 * tsx bench/lib/profile-summary.ts FILE.cpuprofile [--top N]
 *
 * Prints where a V8 CPU profile (node --cpu-prof) spent its time: self time per function and the
 * share of garbage collection, so a benchmark's missed goal can be explained from a profile.
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
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules\/|work\/[^/]+\/)/, '')}:${lineNumber + 1}` : '';
  const name = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(name, (self.get(name) ?? 0) + dt);
});
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
for (const [name, us] of rows) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
