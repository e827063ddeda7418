import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Kafka, logLevel } from 'kafkajs';
import { ConfigError, Secret, defineSinkConnector, defineSourceConnector, defineTransform } from '../../runtime/api/index.js';
import { createStandaloneHerder } from '../../runtime/herder/create-herder.js';
import { loadWorkerConfig } from '../../runtime/config/load-worker-config.js';
import { resolvePlaceholders } from '../../runtime/config/placeholders.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { WorkerMetrics } from '../../runtime/observability/metrics.js';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import type { PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { buildApp, type RestOptions } from '../../runtime/rest/index.js';
import { StandaloneHerder } from '../../runtime/herder/standalone-herder.js';
import { Worker } from '../../runtime/worker/worker.js';

/** The literal secret the REST tests put into configs; it must never come back in a response. */
export const SECRET = 'pa55-literal-Secret-value';
/** The value behind `${env:REST_TEST_SECRET}`; it must never come back either. */
export const ENV_SECRET = 'resolved-from-env-S3cret';

/**
 * A source that never produces: its task polls nothing, so connectors can be created and moved
 * between states without Kafka. `fail.task.configs` makes the connector itself fail with an error
 * that quotes the password, to prove traces are scrubbed.
 */
export const quietSource = defineSourceConnector({
  name: 'quiet-source',
  type: 'source',
  version: '2.1.0',
  description: 'Produces nothing; for REST tests.',
  config: Type.Object({
    topic: Type.String({ description: 'Topic it would write to.' }),
    'connection.password': Type.Optional(Secret(Type.String({ description: 'Password of the imaginary source.' }))),
    'connection.host': Type.Optional(Type.String({ description: 'Host the imaginary source would connect to.' })),
    mode: Type.Enum(['fast', 'slow'], { description: 'Speed.', default: 'fast' }),
    'fail.task.configs': Type.Boolean({ description: 'Fail while splitting the work.', default: false }),
  }),
  taskConfigs(config, maxTasks) {
    if (config['fail.task.configs']) throw new Error(`cannot log in with password ${config['connection.password'] ?? ''}`);
    return Array.from({ length: maxTasks }, (_, task) => ({ ...config, task }));
  },
  // A check across keys that the schema cannot express.
  validate: (config) =>
    config.mode === 'slow' && config.topic.startsWith('fast-') ? [{ key: 'mode', message: `slow does not fit topic ${config.topic}` }] : [],
  createTask() {
    return {
      async start() {},
      async poll(signal) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 50);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
        });
        return [];
      },
      async stop() {},
    };
  },
});

export const quietSink = defineSinkConnector({
  name: 'quiet-sink',
  type: 'sink',
  version: '1.0.0',
  description: 'Discards records; for REST tests.',
  config: Type.Object({ 'api.credential': Type.Optional(Secret(Type.String({ description: 'Credential (secret by schema only).' }))) }),
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask: () => ({ async start() {}, async put() {}, async flush() {}, async stop() {} }),
});

export const saltTransform = defineTransform({
  name: 'salt',
  version: '1.0.0',
  description: 'Identity transform with a secret key.',
  config: Type.Object({ pepper: Secret(Type.String({ description: 'A secret of the transform.' })) }),
  create: () => ({ apply: (r) => r }),
});

export const testPlugins: PluginRegistry = {
  connectors: { [quietSource.name]: quietSource, [quietSink.name]: quietSink },
  transforms: { [saltTransform.name]: saltTransform },
  predicates: {},
};

export interface Harness {
  app: FastifyInstance;
  worker: StandaloneHerder;
  logs: LogManager;
}

interface TapLike {
  teardown(fn: () => unknown): void;
}

const env = { REST_TEST_SECRET: ENV_SECRET };

/**
 * A worker whose Kafka is a closed port (nothing in these tests needs Kafka), a file offset store
 * in a temporary directory, and the REST app on top, torn down with the test. The Kafka client
 * does not retry, so a task that starts (PAUSED connectors start theirs) fails at once instead of
 * holding up the test while the client retries a port nobody listens on.
 */
export async function restHarness(t: TapLike, options: Partial<Omit<RestOptions, 'herder'>> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'conflux-rest-'));
  const logs = options.logs ?? new LogManager({ level: 'silent' });
  const core = new Worker({
    workerId: 'test-worker:8083',
    plugins: testPlugins,
    kafka: new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 200 }),
    offsetStore: new FileOffsetStore(join(dir, 'offsets.json')),
    logs,
    metrics: new WorkerMetrics(),
    resolveConfig: async (raw) => {
      const resolved = await resolvePlaceholders({ ...raw }, { env, readFile: async () => '' });
      if (!resolved.ok) throw new ConfigError(resolved.errors);
      return { config: resolved.config as Record<string, string>, secrets: [...resolved.secrets] };
    },
  });
  const worker = new StandaloneHerder(core, undefined, logs.get('herder'));
  await worker.start();
  const app = buildApp({ ...options, herder: worker, logs });
  t.teardown(async () => {
    await app.close();
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { app, worker, logs };
}

/** A valid quiet-source config with a literal secret. */
export function sourceConfig(extra: Record<string, string> = {}): Record<string, string> {
  return { 'connector.class': 'quiet-source', topic: 'quiet', 'value.converter': 'json', 'connection.password': SECRET, ...extra };
}

export interface RealHarness extends Harness {
  /** The worker's state directory (temporary). */
  dir: string;
}

/**
 * The REST app on a worker built the way `conflux standalone` builds it: `loadWorkerConfig` and
 * `createStandaloneHerder`, so connector placeholders go through the real file and environment providers
 * (real files, `process.env`). Kafka is a closed port; connectors are created STOPPED in these
 * tests, so nothing connects.
 */
export async function realWorkerHarness(
  t: TapLike,
  workerConfig: Record<string, unknown> = {},
  options: Partial<Omit<RestOptions, 'herder' | 'logs'>> & { configDir?: string; plugins?: PluginRegistry } = {},
): Promise<RealHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'conflux-real-'));
  const logs = new LogManager({ level: 'silent' });
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': '127.0.0.1:1',
    'offset.storage.file.filename': join(dir, 'offsets.json'),
    'state.dir': dir,
    ...workerConfig,
  });
  const { configDir, plugins, ...rest } = options;
  const worker = createStandaloneHerder(config, plugins ?? testPlugins, { logs, ...(configDir ? { configDir } : {}) });
  await worker.start();
  const app = buildApp({ herder: worker, logs, ...rest });
  t.teardown(async () => {
    await app.close();
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { app, worker, logs, dir };
}
