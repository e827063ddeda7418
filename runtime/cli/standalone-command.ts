import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../api/index.js';
import { createWorker, loadWorkerConfig } from '../bootstrap.js';
import { FileConnectorConfigStore } from '../config-store.js';
import { LogManager } from '../logging.js';
import type { PluginRegistry } from '../plugins.js';
import { parseList } from '../config/index.js';
import { buildCommit } from '../build-info.js';
import { buildApp } from '../rest/app.js';
import { probeServices } from '../rest/health-check.js';
import { ensurePrivateDir } from '../private-files.js';
import { readConnectorPaths } from './connector-files.js';

export interface StandaloneOptions {
  workerFile?: string;
  connectorFiles: string[];
  version: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * `conflux standalone`: one worker with file-backed offsets and connector configs, the given
 * connector files applied at start, and the REST API. Runs until SIGINT/SIGTERM, then drains:
 * the API stops accepting requests, every task finishes its batch and commits its offsets.
 */
export async function runStandalone(opts: StandaloneOptions, plugins: PluginRegistry): Promise<void> {
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
  const { config, secrets } = await loadWorkerConfig(raw);
  const logs = new LogManager();
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
  const worker = createWorker(config, plugins, {
    logs,
    configStore: new FileConnectorConfigStore(join(stateDir, 'connectors.json')),
    configDir: opts.workerFile ? dirname(resolve(opts.workerFile)) : resolve('config'),
  });
  await worker.start();
  let app: ReturnType<typeof buildApp>;
  try {
    for (const file of await readConnectorPaths(opts.connectorFiles)) {
      if (worker.has(file.name)) await worker.putConnectorConfig(file.name, file.config);
      else await worker.createConnector(file.name, file.config);
      log.info('connector applied from file', { connector: file.name, path: file.path });
    }
    const health = probeServices({ brokers: parseList(config['bootstrap.servers']), schemaRegistryUrl: config['schema.registry.url'] });
    const allowedHosts = [host, ...parseList(config['rest.allowed.hosts'])];
    app = buildApp({ worker, logs, health, allowedHosts, ...(token ? { authToken: token } : {}), version: opts.version, commit: buildCommit() });
    const address = await app.listen({ host, port: config['rest.port'] });
    log.info('REST API listening', { address, docs: `${address}/docs` });
  } catch (err) {
    // A bad connector file or a taken port must not leave the restored connectors running.
    await worker.stop();
    throw err;
  }

  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      log.info('shutting down', { signal });
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      void (async () => {
        try {
          await app.close();
          await worker.stop();
        } catch (err) {
          log.error('error during shutdown', { error: (err as Error).message });
        } finally {
          done();
        }
      })();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
