import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type Logger } from '../api/index.js';
import { createStandaloneHerder, loadWorkerConfig } from '../bootstrap.js';
import { FileConnectorConfigStore } from '../config-store.js';
import { LogManager } from '../logging.js';
import type { PluginRegistry } from '../plugins.js';
import { parseList } from '../config/index.js';
import { buildCommit } from '../build-info.js';
import { buildApp } from '../rest/app.js';
import { probeServices } from '../rest/health-check.js';
import { ensurePrivateDir } from '../private-files.js';
import { readConnectorPaths, type ConnectorFile } from './connector-files.js';

export interface StandaloneOptions {
  workerFile?: string;
  connectorFiles: string[];
  version: string;
  /** Worker keys that replace those of the worker file (e.g. another REST port). */
  workerOverrides?: Record<string, unknown>;
  /** Applied to each connector file before it is created (e.g. to run the pipeline under other names). */
  rewriteConnector?: (file: ConnectorFile) => ConnectorFile;
  /** Where the worker's log lines go; stderr by default. */
  logDestination?: NodeJS.WritableStream;
}

/** A started worker with its REST API. */
export interface RunningWorker {
  /** The REST API's base URL, e.g. http://127.0.0.1:8083. */
  readonly address: string;
  /** Stops the API, then drains the worker: every task finishes its batch and commits. */
  stop(): Promise<void>;
  readonly log: Logger;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * One worker with file-backed offsets and connector configs, the given connector files applied at
 * start, and the REST API; returns once the API listens.
 */
export async function startStandalone(opts: StandaloneOptions, plugins: PluginRegistry): Promise<RunningWorker> {
  let raw: unknown = {};
  if (opts.workerFile) {
    try {
      raw = JSON.parse(await readFile(opts.workerFile, 'utf8')) as unknown;
    } catch (err) {
      // The parser's message may quote the text, which may be a secret typed into the file.
      if (err instanceof SyntaxError) throw new ConfigError([{ key: '', message: `${opts.workerFile} is not valid JSON` }]);
      throw err;
    }
  }
  if (opts.workerOverrides) raw = { ...(raw as Record<string, unknown>), ...opts.workerOverrides };
  const { config, secrets } = await loadWorkerConfig(raw);
  const logs = new LogManager(opts.logDestination ? { destination: opts.logDestination } : {});
  logs.addSecrets(secrets);
  const log = logs.get('standalone');
  const host = config['rest.host'];
  const token = config['rest.auth.token'];
  if (!LOOPBACK.test(host) && !token && !config['rest.allow.insecure.bind']) {
    throw new ConfigError([
      { key: 'rest.host', message: `refusing to serve the API on ${host} without rest.auth.token; set a token or rest.allow.insecure.bind=true` },
    ]);
  }
  const stateDir = resolve(config['state.dir']);
  await ensurePrivateDir(stateDir, { tighten: true });
  const herder = createStandaloneHerder(config, plugins, {
    logs,
    configStore: new FileConnectorConfigStore(join(stateDir, 'connectors.json')),
    configDir: opts.workerFile ? dirname(resolve(opts.workerFile)) : resolve('config'),
  });
  await herder.start();
  let app: ReturnType<typeof buildApp>;
  let address: string;
  try {
    const rewrite = opts.rewriteConnector ?? ((f: ConnectorFile) => f);
    for (const file of (await readConnectorPaths(opts.connectorFiles)).map(rewrite)) {
      if (herder.has(file.name)) await herder.putConnectorConfig(file.name, file.config);
      else await herder.createConnector(file.name, file.config);
      log.info('connector applied from file', { connector: file.name, path: file.path });
    }
    const health = probeServices({ brokers: parseList(config['bootstrap.servers']), schemaRegistryUrl: config['schema.registry.url'] });
    const allowedHosts = [host, ...parseList(config['rest.allowed.hosts'])];
    app = buildApp({ herder, logs, health, allowedHosts, ...(token ? { authToken: token } : {}), version: opts.version, commit: buildCommit() });
    address = await app.listen({ host, port: config['rest.port'] });
    log.info('REST API listening', { address, docs: `${address}/docs` });
  } catch (err) {
    // A bad connector file or a taken port must not leave the restored connectors running.
    await herder.stop();
    throw err;
  }
  return {
    address,
    log,
    async stop() {
      try {
        await app.close();
      } finally {
        await herder.stop();
      }
    },
  };
}

/**
 * `conflux standalone`: one worker with file-backed offsets and connector configs, the given
 * connector files applied at start, and the REST API. Runs until SIGINT/SIGTERM, then drains:
 * the API stops accepting requests, every task finishes its batch and commits its offsets.
 */
export async function runStandalone(opts: StandaloneOptions, plugins: PluginRegistry): Promise<void> {
  const running = await startStandalone(opts, plugins);
  const { log } = running;
  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      log.info('shutting down', { signal });
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      running
        .stop()
        .catch((err: unknown) => log.error('error during shutdown', { error: (err as Error).message }))
        .finally(done);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
