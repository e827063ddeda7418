import { dirname, resolve } from 'node:path';
import { createDistributedHerder } from '../../runtime/herder/create-herder.js';
import type { PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { loadWorkerFile, runUntilSignal, serveRest, type RunningWorker, type WorkerFileOptions } from '../worker-process.js';

/**
 * One worker of a cluster: the REST API first (so the URL shared with the group is the one that
 * listens), then the config and status topics read to their ends and the group joined; returns
 * once the worker has its first assignment.
 */
export async function startDistributed(opts: WorkerFileOptions, plugins: PluginRegistry): Promise<RunningWorker> {
  const { config, logs, log } = await loadWorkerFile(opts, 'distributed');
  const herder = createDistributedHerder(config, plugins, {
    logs,
    configDir: opts.workerFile ? dirname(resolve(opts.workerFile)) : resolve('config'),
  });
  const { app, address } = await serveRest(herder, config, logs, opts.version);
  try {
    if (!config['rest.advertised.url']) herder.advertise(address);
    await herder.start();
  } catch (err) {
    await app.close();
    await herder.stop().catch(() => undefined);
    throw err;
  }
  log.info('joined the cluster', { group: herder.groupId, worker: herder.id, address });
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

/** `conflux distributed`: runs until SIGINT/SIGTERM, then hands its tasks over (they commit) and leaves the group. */
export async function runDistributed(opts: WorkerFileOptions, plugins: PluginRegistry): Promise<void> {
  await runUntilSignal(await startDistributed(opts, plugins));
}
