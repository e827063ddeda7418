import { dirname, join, resolve } from 'node:path';
import { createStandaloneHerder } from '../../runtime/herder/create-herder.js';
import { FileConnectorConfigStore } from '../../runtime/herder/file-config-store.js';
import type { PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { ensurePrivateDir } from '../../runtime/support/private-files.js';
import { readConnectorPaths, type ConnectorFile } from '../connector-files.js';
import { loadWorkerFile, runUntilSignal, serveRest, type RunningWorker, type WorkerFileOptions } from '../worker-process.js';

export type { RunningWorker } from '../worker-process.js';

export interface StandaloneOptions extends WorkerFileOptions {
  connectorFiles: string[];
  /** Applied to each connector file before it is created (e.g. to run the pipeline under other names). */
  rewriteConnector?: (file: ConnectorFile) => ConnectorFile;
}

/**
 * One worker with file-backed offsets and connector configs, the given connector files applied at
 * start, and the REST API; returns once the API listens.
 */
export async function startStandalone(opts: StandaloneOptions, plugins: PluginRegistry): Promise<RunningWorker> {
  const { config, logs, log } = await loadWorkerFile(opts, 'standalone');
  const stateDir = resolve(config['state.dir']);
  await ensurePrivateDir(stateDir, { tighten: true });
  const herder = createStandaloneHerder(config, plugins, {
    logs,
    configStore: new FileConnectorConfigStore(join(stateDir, 'connectors.json')),
    configDir: opts.workerFile ? dirname(resolve(opts.workerFile)) : resolve('config'),
  });
  await herder.start();
  let served: Awaited<ReturnType<typeof serveRest>>;
  try {
    const rewrite = opts.rewriteConnector ?? ((f: ConnectorFile) => f);
    for (const file of (await readConnectorPaths(opts.connectorFiles)).map(rewrite)) {
      if (herder.has(file.name)) await herder.putConnectorConfig(file.name, file.config);
      else await herder.createConnector(file.name, file.config);
      log.info('connector applied from file', { connector: file.name, path: file.path });
    }
    served = await serveRest(herder, config, logs, opts.version);
    log.info('REST API listening', { address: served.address, docs: `${served.address}/docs` });
  } catch (err) {
    // A bad connector file or a taken port must not leave the restored connectors running.
    await herder.stop();
    throw err;
  }
  return {
    address: served.address,
    log,
    async stop() {
      try {
        await served.app.close();
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
  await runUntilSignal(await startStandalone(opts, plugins));
}
