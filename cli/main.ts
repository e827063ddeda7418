import { parseArgs } from 'node:util';
import { connectors } from '../connectors/index.js';
import { predicates, transforms } from '../transforms/index.js';
import { ConfigError } from '../runtime/api/index.js';
import { applyDir } from './commands/apply.js';
import { DEMO_USAGE, demoCommand } from './demo/command.js';
import { GENERATE_USAGE, generateCommand } from './commands/generate.js';
import { describeFailure, UsageError } from './failures.js';
import { WorkerClient } from './http-client.js';
import { runDistributed } from './commands/distributed.js';
import { runStandalone } from './commands/standalone.js';
import { printStatus } from './commands/status.js';
import { dlq } from './commands/dlq.js';
import { validateFiles } from './commands/validate.js';
import { warehouseMigrate } from './commands/warehouse.js';
import type { PluginRegistry } from '../runtime/worker/plugin-registry.js';
import { packageVersion } from '../runtime/support/project-root.js';

/** Each command's usage, as `conflux help <command>` and `conflux <command> --help` print it. */
const COMMANDS: Readonly<Record<string, string>> = {
  standalone: `  conflux standalone [--worker config/worker.json] [connector.json | dir ...]
      Run a worker (file offsets, REST API on rest.host:rest.port) with these connectors
      (a directory stands for its *.json files).`,
  distributed: `  conflux distributed --worker config/worker-distributed.json
      Run a worker of a cluster: workers with the same group.id share connectors and tasks;
      configs, offsets and status live in Kafka topics; any worker answers the REST API.`,
  apply: `  conflux apply <dir> [--dry-run] [--prune] [--url http://127.0.0.1:8083] [--token T]
      Make a running worker match the connector files in <dir>; print the plan first. A worker
      answering 409 (a cluster rebalancing) is asked again, for up to a minute.`,
  validate: `  conflux validate <connector.json ...>
      Check connector files against the plugin schemas; every error with its key.`,
  status: `  conflux status [name] [--url ...] [--token T]
      Connectors and tasks as a table.`,
  dlq: `  conflux dlq list|show|replay <connector> [--rule R] [--limit 20] [--json] [--url ...] [--token T]
      A connector's dead-letter topic: list counts its records by rule and stage, with their
      time range; show prints the newest records decoded (Avro through the registry) with
      their conflux.error.* headers; replay reads the rejected keys again from their source
      (an incremental snapshot), so what was fixed since lands and the rest is rejected anew.`,
  warehouse: `  conflux warehouse migrate [--database-url postgres://...] [--schema public]
      Apply the pending warehouse migrations (sql/); --database-url defaults to $DATABASE_URL.`,
  generate: GENERATE_USAGE,
  demo: DEMO_USAGE,
  help: `  conflux help [command]
      This text, or one command's.`,
};

const USAGE = `conflux: a Kafka Connect-style CDC runtime

Usage:
${Object.values(COMMANDS).join('\n')}

--token defaults to $CONFLUX_REST_TOKEN, --url to $CONFLUX_URL or http://127.0.0.1:8083.
--verbose (or DEBUG=1) adds the stack trace to an error.
`;

const usageOf = (command: string) => `Usage:\n${COMMANDS[command]}\n`;

export const plugins: PluginRegistry = { connectors, transforms, predicates };

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const verbose = argv.includes('--verbose') || Boolean(process.env.DEBUG);
  const args = argv.filter((a) => a !== '--verbose');
  const [command, ...rest] = args;
  if (command === undefined) {
    err(USAGE);
    return 2;
  }
  if (isHelp(command) || command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) {
      err(`error: unknown command '${topic}'\n\n${USAGE}`);
      return 2;
    }
    out(topic !== undefined ? usageOf(topic) : USAGE);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    err(`error: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.some(isHelp)) {
    out(usageOf(command));
    return 0;
  }
  try {
    return await run(command, rest, out, err);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}\n\n${usageOf(command)}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      for (const entry of e.errors) err(`error: ${entry.key ? `${entry.key}: ` : ''}${entry.message}`);
      return 1;
    }
    err(`error: ${describeFailure(e)}`);
    if (verbose && e instanceof Error && e.stack) err(e.stack);
    return 1;
  }
}

async function run(command: string, rest: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  // generate and demo have options of their own; they do not talk to a worker.
  if (command === 'generate') return generateCommand(rest, out, err);
  if (command === 'demo') return demoCommand(rest, plugins, packageVersion(), err);
  let parsed: ReturnType<typeof parseCommon>;
  try {
    parsed = parseCommon(rest);
  } catch (e) {
    // node:util's parseArgs names the unknown or malformed option; that is a usage error.
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (rest.some((a) => a === '--token' || a.startsWith('--token='))) {
    // Other users of the machine can read a command line (ps, /proc); the environment they cannot.
    err('warning: --token is visible to other users in the process list; prefer the CONFLUX_REST_TOKEN environment variable');
  }
  // Only as typed on the command line: the option defaults to $DATABASE_URL, which no one else sees.
  const typedUrl = rest.find((a, i) => rest[i - 1] === '--database-url' || a.startsWith('--database-url='));
  if (typedUrl !== undefined && hasPassword(typedUrl.replace(/^--database-url=/, ''))) {
    err('warning: --database-url carries a password, visible to other users in the process list; prefer DATABASE_URL or PGPASSWORD in the environment');
  }
  const client = () => new WorkerClient(values.url!, values.token);
  switch (command) {
    case 'standalone':
      await runStandalone({ ...(values.worker ? { workerFile: values.worker } : {}), connectorFiles: positionals, version: packageVersion() }, plugins);
      return 0;
    case 'distributed':
      if (!values.worker) throw new UsageError('distributed takes --worker <file>: the worker config with group.id');
      if (positionals.length > 0) throw new UsageError('distributed takes no connector files: create connectors through the REST API or conflux apply');
      await runDistributed({ workerFile: values.worker, version: packageVersion() }, plugins);
      return 0;
    case 'apply':
      if (positionals.length !== 1) throw new UsageError('apply takes one directory');
      return (await applyDir(client(), { dir: positionals[0]!, dryRun: values['dry-run']!, prune: values.prune! }, out)) > 0 ? 1 : 0;
    case 'validate':
      if (positionals.length === 0) throw new UsageError('validate takes one or more files');
      return (await validateFiles(positionals, plugins, out)) > 0 ? 1 : 0;
    case 'warehouse':
      if (positionals[0] !== 'migrate' || positionals.length !== 1) throw new UsageError('warehouse takes one sub-command: migrate');
      return await warehouseMigrate({ databaseUrl: values['database-url'], schema: values.schema! }, out);
    case 'status':
      return await printStatus(client(), positionals[0], out);
    case 'dlq': {
      const [action, connector] = positionals;
      if ((action !== 'list' && action !== 'show' && action !== 'replay') || connector === undefined || positionals.length !== 2)
        throw new UsageError('dlq takes list, show or replay and a connector name');
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit takes a whole number from 1 to 1000');
      return await dlq(client(), action, { connector, limit, json: values.json!, ...(values.rule !== undefined ? { rule: values.rule } : {}) }, out);
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function parseCommon(rest: string[]) {
  return parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      worker: { type: 'string' },
      url: { type: 'string', default: process.env.CONFLUX_URL ?? 'http://127.0.0.1:8083' },
      token: { type: 'string', default: process.env.CONFLUX_REST_TOKEN },
      'dry-run': { type: 'boolean', default: false },
      prune: { type: 'boolean', default: false },
      'database-url': { type: 'string', default: process.env.DATABASE_URL },
      schema: { type: 'string', default: 'public' },
      rule: { type: 'string' },
      limit: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
}

/** True when a connection URL has a password in its userinfo (`postgres://user:secret@host`). */
function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return /:\/\/[^/@]*:[^/@]*@/.test(url);
  }
}
