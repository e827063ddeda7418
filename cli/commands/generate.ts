import { MongoClient } from 'mongodb';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ShopGenerator } from '../../generator/shop-generator.js';
import { delay } from '../../runtime/support/abortable.js';

export const GENERATE_USAGE = `  conflux generate [--uri U] [--db shop] [--seed-customers N] [--seed-orders M] [--rate R]
                   [--count N | --duration S] [--invalid-ratio 0.02] [--seed S]
      Write shop data to MongoDB: an initial load, then R live changes/s (new orders,
      status changes, item edits, address changes, new customers, deletes) until --count
      changes, --duration seconds or Ctrl-C. --rate 0 writes as fast as it can.
      --uri defaults to $MONGODB_URI. Run again, it continues the shop it finds with new ids:
      --seed picks the random choices and ids, a new one each run unless given (printed).
      Prints the documents written per kind.`;

export interface GenerateArgs {
  uri: string;
  db: string;
  seedCustomers: number;
  seedOrders: number;
  rate: number;
  count: number | undefined;
  durationS: number | undefined;
  invalidRatio: number;
  seed: number;
}

class ArgumentError extends Error {}

function number(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ArgumentError(`--${name} must be a number between ${min} and ${max}, got '${value}'`);
  return n;
}

export function parseGenerateArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GenerateArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      uri: { type: 'string', default: env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/?replicaSet=rs0' },
      db: { type: 'string', default: 'shop' },
      'seed-customers': { type: 'string', default: '0' },
      'seed-orders': { type: 'string', default: '0' },
      rate: { type: 'string', default: '10' },
      count: { type: 'string' },
      duration: { type: 'string' },
      'invalid-ratio': { type: 'string', default: '0' },
      seed: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ArgumentError(`generate takes no positional arguments (got ${positionals.join(' ')})`);
  return {
    uri: values.uri!,
    db: values.db!,
    seedCustomers: Math.floor(number('seed-customers', values['seed-customers'], 0)!),
    seedOrders: Math.floor(number('seed-orders', values['seed-orders'], 0)!),
    rate: number('rate', values.rate, 0)!,
    count: number('count', values.count, 0),
    durationS: number('duration', values.duration, 0),
    invalidRatio: number('invalid-ratio', values['invalid-ratio'], 0, 1)!,
    // A new seed per run by default: ids come from it, so the seed of an earlier run on its own
    // data would write the same ids again.
    seed: Math.floor(number('seed', values.seed, 0, 2 ** 31 - 1) ?? randomInt(2 ** 31 - 1)),
  };
}

/**
 * `conflux generate`: seeds, then writes live changes at the given rate until a stop condition.
 * `stop` aborts the live mode (Ctrl-C in the CLI); what was written is still reported.
 */
export async function runGenerate(args: GenerateArgs, out: (line: string) => void, stop: AbortSignal): Promise<Map<string, number>> {
  const client = new MongoClient(args.uri, { serverSelectionTimeoutMS: 15_000 });
  await client.connect();
  try {
    out(`generator seed ${args.seed}`);
    const generator = new ShopGenerator(client.db(args.db), { seed: args.seed, invalidRatio: args.invalidRatio });
    await generator.load();
    await generator.seed(args.seedCustomers, args.seedOrders);
    const started = Date.now();
    const deadline = args.durationS !== undefined ? started + args.durationS * 1000 : Infinity;
    let done = 0;
    while (!stop.aborted && (args.count === undefined || done < args.count) && Date.now() < deadline) {
      if (args.rate > 0) {
        // Paced by the total so far, so a slow write is caught up on instead of lowering the rate.
        const due = started + (done / args.rate) * 1000;
        const wait = Math.min(due, deadline) - Date.now();
        if (wait > 0) await delay(wait, stop);
        if (stop.aborted || Date.now() >= deadline) break;
      }
      await generator.change();
      done += 1;
    }
    const kinds = [...generator.counts.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const [kind, n] of kinds) out(`${kind.padEnd(28)} ${n}`);
    out(`${'live changes'.padEnd(28)} ${done} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return generator.counts;
  } finally {
    await client.close();
  }
}

/** The CLI entry: parses, wires Ctrl-C to a graceful stop, returns the exit code. */
export async function generateCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let args: GenerateArgs;
  try {
    args = parseGenerateArgs(argv);
  } catch (e) {
    err(`error: ${(e as Error).message}\n\nUsage:\n${GENERATE_USAGE}`);
    return 2;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    await runGenerate(args, out, stop.signal);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}
