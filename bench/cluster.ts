/**
 * npm run bench:cluster [-- --runs source,sink --changes N --tasks T --profile]
 *
 * The same workload on a cluster of 1 and of 2 workers (`conflux distributed` child processes, a
 * private group and storage topics per cluster), for each side of the pipeline:
 * - source (bench/lib/cluster-source-run.ts): N order inserts preloaded into MongoDB, captured by
 *   a mongodb-source with T tasks; changes/s from the first change in Kafka to the N-th. With the
 *   MongoDB test server (MONGODB_TEST_SERVER set) the benchmark starts a test server of its own,
 *   sized for N, so the shared one keeps its history. N defaults to 100,000.
 * - sink (bench/lib/cluster-sink-run.ts): N Avro order envelopes prefilled into a topic of T
 *   partitions (and their customers), written by config/connectors/warehouse-orders.json with
 *   `tasks.max` = T into a private PostgreSQL database; rows/s counted by the sink's committed
 *   offsets (stored in the warehouse in the transaction of the rows), from the first poll where
 *   every partition had a commit to the commit that covers all N. N defaults to 200,000, as in
 *   bench:sink.
 * Both create their connector PAUSED and resume it once every task runs (and, for the sink, is in
 * the consumer group), so the tasks of both workers begin together.
 * `--changes N` sets N for both; T defaults to 2. Each run prints a table, the measured ratio
 * 2 workers / 1 worker, and the ratio the assignment rule predicts with a core per worker (an
 * expectation, not a measurement). For every measured window it prints each worker's CPU seconds
 * (/proc/<pid>/stat), the services' (postgres and java processes) and the machine's busy share
 * of its cores (/proc/stat): when the machine is saturated, the ratio measures the machine, not
 * conflux. --profile starts the workers with --cpu-prof (profiles in bench/results/cluster-
 * profile-<time>/<run>-<workers>w/) and prints each worker's top functions by self time.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeCpu, round } from './lib/cluster-cpu.js';
import { expectedRatio, type ClusterRun, type Figure, type RunOptions } from './lib/cluster-run.js';
import { sinkRun } from './lib/cluster-sink-run.js';
import { sourceRun } from './lib/cluster-source-run.js';
import { printTable, writeResults } from './lib/report.js';
import { ensureServices } from './lib/services.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: 'source,sink' },
    changes: { type: 'string', default: process.env.BENCH_CHANGES },
    tasks: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
  },
});
const runs = args.runs!.split(',').map((r) => r.trim());
for (const r of runs) if (r !== 'source' && r !== 'sink') throw new Error(`--runs takes source and/or sink, not ${r}`);
ensureServices(['kafka', 'registry', ...(runs.includes('source') ? ['mongo'] : []), ...(runs.includes('sink') ? ['postgres'] : [])]);
const TASKS = Number(args.tasks);
const defaults = { source: 100_000, sink: 200_000 };
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const profileRoot = args.profile ? fileURLToPath(new URL(`./results/cluster-profile-${stamp}/`, import.meta.url)) : undefined;
const options = (run: 'source' | 'sink'): RunOptions => ({ n: Number(args.changes ?? defaults[run]), tasks: TASKS, profileRoot });

interface RunResult {
  run: string;
  unit: string;
  n: number;
  tasks: number;
  ratio: number;
  expectedRatio: number;
  figures: Figure[];
}

async function measureRun(run: ClusterRun): Promise<RunResult> {
  const figures: Figure[] = [];
  try {
    for (const workers of [1, 2]) {
      console.error(`bench:cluster ${run.name}: ${run.n} ${run.unit}, ${run.tasks} tasks, ${workers} worker(s)`);
      figures.push(await run.measure(workers));
    }
  } finally {
    await run.close();
  }
  const ratio = round(figures[1]!.perSecond / figures[0]!.perSecond, 2);
  return { run: run.name, unit: run.unit, n: run.n, tasks: run.tasks, ratio, expectedRatio: round(expectedRatio(run.tasks), 2), figures };
}

function print(r: RunResult): void {
  console.log(`\n${r.run}: ${r.n.toLocaleString('en-US')} ${r.unit}, ${r.tasks} tasks`);
  printTable(r.figures.map((f) => ({ workers: f.workers, 'tasks per worker': f.tasksPerWorker, [`${r.unit}/s`]: f.perSecond, seconds: f.seconds })));
  console.log(`scaling 1 -> 2 workers: ${r.ratio}x measured on ${cpus().length} cores shared with Kafka, the registry and the databases`);
  console.log(`expected with a core per worker (assignment rule, not measured): ${r.tasks} / ceil(${r.tasks}/2) = ${r.expectedRatio}x`);
  console.log('CPU in the measured window:');
  for (const f of r.figures) console.log(`  ${f.workers} worker(s), ${describeCpu(f.cpu)}`);
  for (const f of r.figures) {
    // The window starts after the first commit of every partition; a sink's first flush can hold most of a small N.
    if (f.records < r.n / 2)
      console.log(`warning: the ${f.workers}-worker window covered only ${f.records} of ${r.n} ${r.unit}: too few to measure, raise --changes`);
  }
  for (const f of r.figures) {
    if (f.profiles.length > 0) console.log(`profiles, ${f.workers} worker(s), self time in the measured window:\n${f.profiles.join('\n')}`);
  }
}

const results: RunResult[] = [];
for (const name of runs) {
  const run = name === 'source' ? await sourceRun(options('source')) : await sinkRun(options('sink'));
  results.push(await measureRun(run));
}
for (const r of results) print(r);
const file = writeResults('cluster', { cores: cpus().length, node: process.version, profiles: profileRoot, runs: results });
console.log(`\nresults: ${file}`);
