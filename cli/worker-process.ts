import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError, type Logger } from '../runtime/api/index.js';
import { loadWorkerConfig } from '../runtime/config/load-worker-config.js';
import { buildCommit } from '../runtime/support/build-info.js';
import { parseList, type WorkerConfig } from '../runtime/config/index.js';
import type { Herder } from '../runtime/herder/herder.js';
import { LogManager } from '../runtime/observability/logging.js';
import { buildApp } from '../runtime/rest/app.js';
import { probeServices } from '../runtime/rest/health-check.js';

/** What `conflux standalone` and `conflux distributed` take. */
export interface WorkerFileOptions {
  workerFile?: string;
  version: string;
  /** Worker keys that replace those of the worker file (e.g. another REST port). */
  workerOverrides?: Record<string, unknown>;
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

/** Reads, resolves and validates the worker file; refuses an open API without a token. */
export async function loadWorkerFile(opts: WorkerFileOptions, logName: string): Promise<{ config: WorkerConfig; logs: LogManager; log: Logger }> {
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
  const host = config['rest.host'];
  if (!LOOPBACK.test(host) && !config['rest.auth.token'] && !config['rest.allow.insecure.bind']) {
    throw new ConfigError([
      { key: 'rest.host', message: `refusing to serve the API on ${host} without rest.auth.token; set a token or rest.allow.insecure.bind=true` },
    ]);
  }
  return { config, logs, log: logs.get(logName) };
}

/** Serves the herder's REST API on rest.host:rest.port; returns the listening app and its address. */
export async function serveRest(
  herder: Herder,
  config: WorkerConfig,
  logs: LogManager,
  version: string,
): Promise<{ app: ReturnType<typeof buildApp>; address: string }> {
  const host = config['rest.host'];
  const token = config['rest.auth.token'];
  const health = probeServices({ brokers: parseList(config['bootstrap.servers']), schemaRegistryUrl: config['schema.registry.url'] });
  const allowedHosts = [host, ...parseList(config['rest.allowed.hosts'])];
  const https = await tlsFiles(config);
  const app = buildApp({
    herder,
    logs,
    health,
    allowedHosts,
    ...(token ? { authToken: token } : {}),
    ...(https ? { https } : {}),
    version,
    commit: buildCommit(),
  });
  const address = await app.listen({ host, port: config['rest.port'] });
  return { app, address };
}

/**
 * The HTTPS listener's key and certificate, read at start: an unreadable file or a key that does
 * not open is a configuration error naming its key, never quoting the file.
 */
async function tlsFiles(config: WorkerConfig): Promise<{ key: Buffer; cert: Buffer; passphrase?: string } | undefined> {
  const certFile = config['rest.tls.cert.file'];
  const keyFile = config['rest.tls.key.file'];
  if (!certFile || !keyFile) return undefined;
  const read = (key: string, file: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError([{ key, message: `cannot read ${file} (${err.code ?? 'error'})` }]);
    });
  const [cert, key] = [await read('rest.tls.cert.file', certFile), await read('rest.tls.key.file', keyFile)];
  const passphrase = config['rest.tls.key.password'];
  try {
    createSecureContext({ cert, key, ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'invalid';
    throw new ConfigError([
      { key: 'rest.tls.key.file', message: `the key and certificate do not make a TLS listener (${code}); check the files and rest.tls.key.password` },
    ]);
  }
  return { cert, key, ...(passphrase ? { passphrase } : {}) };
}

/** How long a stopped worker process may take to exit on its own. */
const EXIT_GRACE_MS = 2000;

/** Runs until SIGINT/SIGTERM, then stops the worker (API first, then the tasks drain). */
export async function runUntilSignal(running: RunningWorker): Promise<void> {
  const { log } = running;
  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      log.info('shutting down', { signal });
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      running
        .stop()
        .catch((err: unknown) => log.error('error during shutdown', { error: (err as Error).message }))
        .finally(() => {
          // The work is handed over and committed; a Kafka client call still in flight past the
          // stop's own bounds (a group join kafkajs cannot cancel) must not keep the process alive.
          setTimeout(() => {
            log.warn('exiting with Kafka client calls still in flight');
            process.exit();
          }, EXIT_GRACE_MS).unref();
          done();
        });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
