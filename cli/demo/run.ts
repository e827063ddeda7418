import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { migrate } from '../../connectors/postgres-sink/migrate.js';
import { ShopGenerator } from '../../generator/shop-generator.js';
import { readConnectorPaths } from '../connector-files.js';
import { startStandalone, type RunningWorker } from '../commands/standalone.js';
import type { PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { catchUp, SETTLED_MISMATCH_MS } from './catch-up.js';
import { pipelineLayout } from './layout.js';
import { changesWritten, ordersCreated, writeLive } from './live-writer.js';
import { inNamespace } from './namespace.js';
import type { DemoOptions } from './options.js';
import { ProgressCollector } from './progress.js';
import { formatReconciliation } from './reconcile.js';
import type { ProgressView } from './render.js';
import { resetDownstream } from './reset.js';
import { ensureServices } from './services.js';

export interface DemoContext {
  readonly view: ProgressView;
  /** Lines outside the progress view (set-up steps, the summary). */
  readonly say: (text: string) => void;
  /** How often the view is refreshed. */
  readonly tickMs: number;
  readonly plugins: PluginRegistry;
  readonly version: string;
  /** Aborted on the first Ctrl-C/SIGTERM: stop writing, catch up, reconcile, stop. */
  readonly stop: AbortSignal;
  /** Aborted on the second: do not wait for the warehouse any more. */
  readonly hurry: AbortSignal;
}

const hidePassword = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
};

/** The main job: services, warehouse, seed, worker, live changes with progress, catch-up, reconciliation. Returns the exit code. */
export async function runDemo(o: DemoOptions, c: DemoContext): Promise<number> {
  const services = await ensureServices(process.env, c.say);
  const files = (await readConnectorPaths([o.connectorsDir])).map((f) => inNamespace(f, o.namespace));
  const layout = pipelineLayout(files);
  const stateDir = resolve(o.namespace ? `state/demo-${o.namespace}` : 'state/demo');

  const mongo = new MongoClient(process.env.MONGODB_URI!, { serverSelectionTimeoutMS: 15_000 });
  const warehouse = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: 'conflux:demo' });
  const kafka = new Kafka({ clientId: 'conflux-demo', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let worker: RunningWorker | undefined;
  try {
    await Promise.all([mongo.connect(), warehouse.connect(), admin.connect()]);
    const db = mongo.db(layout.db);
    const migrated = await migrate(warehouse, layout.schema);
    c.say(`warehouse: schema ${layout.schema} at version ${migrated.version}${migrated.applied.length ? ` (applied ${migrated.applied.join(', ')})` : ''}`);

    if (o.reset) {
      await db.dropDatabase();
      c.say(`--reset: dropped MongoDB database ${layout.db}`);
    }
    const empty = (await db.collection('orders').estimatedDocumentCount()) === 0 && (await db.collection('customers').estimatedDocumentCount()) === 0;
    if (empty) {
      // Whatever is left downstream belongs to data MongoDB no longer has.
      await resetDownstream({ admin, pg: warehouse }, layout, stateDir);
      c.say(`MongoDB ${layout.db} is empty: starting from empty topics, warehouse tables and source offsets`);
    }

    const generator = new ShopGenerator(db, { seed: o.seed, invalidRatio: o.invalidRatio });
    const [customers, orders] = await Promise.all([db.collection('customers').countDocuments(), db.collection('orders').countDocuments()]);
    const addCustomers = Math.max(0, o.seedCustomers - customers);
    const addOrders = Math.max(0, o.seedOrders - orders);
    // The initial load is all valid: invalid orders come with the live changes, where they show.
    const seeder = new ShopGenerator(db, { seed: o.seed + 1, invalidRatio: 0 });
    await seeder.load();
    await seeder.seed(addCustomers, addOrders);
    await generator.load();
    c.say(
      `MongoDB ${layout.db}: ${customers + addCustomers} customers, ${orders + addOrders} orders` +
        (addCustomers + addOrders > 0
          ? ` (seeded ${addCustomers} customers, ${addOrders} orders; generator seed ${o.seed})`
          : ` (already seeded; generator seed ${o.seed})`),
    );

    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const logFile = join(stateDir, 'worker.log');
    worker = await startStandalone(
      {
        workerFile: o.workerFile,
        connectorFiles: [o.connectorsDir],
        version: c.version,
        rewriteConnector: (f) => inNamespace(f, o.namespace),
        workerOverrides: {
          'state.dir': stateDir,
          'offset.storage.file.filename': join(stateDir, 'offsets.json'),
          // A task that fails (a sink started before the source created the topic of its lookup
          // table, a service restarting under it) is restarted rather than leaving the run stuck.
          'task.restart.auto': true,
          ...(o.port !== undefined ? { 'rest.port': o.port } : {}),
        },
        logDestination: createWriteStream(logFile, { flags: 'a', mode: 0o600 }),
      },
      c.plugins,
    );
    c.say(`worker: connectors ${files.map((f) => f.name).join(', ')}; log in ${logFile}`);
    c.say(`REST API ${worker.address}  (console ${worker.address}/ui/, Swagger UI ${worker.address}/docs, metrics ${worker.address}/metrics)`);
    c.say(
      o.orders
        ? `writing ${o.orders} new orders at ${o.rate} changes/s; then waiting for the warehouse and reconciling`
        : `writing live changes at ${o.rate} changes/s; Ctrl-C stops`,
    );

    const progress = new ProgressCollector(
      { db, pg: warehouse, admin },
      layout.schema,
      layout.topics,
      () => ({
        changes: changesWritten(generator),
        ordersCreated: ordersCreated(generator),
      }),
      `${worker.address}/metrics`,
    );
    // The first view waits for nothing that may not be ready yet; the ticker shows the next.
    await progress.collect().then(
      (s) => c.view.show(s, 'writing'),
      () => undefined,
    );
    let collecting = false;
    const ticker = setInterval(() => {
      // On a loaded machine a collection can take longer than a tick: skip rather than pile up.
      if (collecting) return;
      collecting = true;
      void progress
        .collect()
        .then(
          (s) => c.view.show(s, c.stop.aborted ? 'stopping' : 'writing'),
          () => undefined,
        )
        .finally(() => (collecting = false));
    }, c.tickMs);
    try {
      await writeLive(generator, { rate: o.rate, orders: o.orders }, c.stop);
    } finally {
      clearInterval(ticker);
    }

    const outcome = await catchUp({ db, pg: warehouse, kafka }, layout, progress, o.timeoutS * 1000, c);
    c.view.print('');
    for (const text of formatReconciliation(outcome.reconciliation)) c.say(text);
    const lag = Object.entries(outcome.last.lag)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    if (outcome.gaveUp === 'timeout') c.say(`the warehouse did not catch up within ${o.timeoutS} s (consumer lag: ${lag}); see ${logFile}`);
    if (outcome.gaveUp === 'settled') {
      c.say(
        `the pipeline has been standing still for ${SETTLED_MISMATCH_MS / 1000} s (no lag, no new records) and the warehouse does not match MongoDB; see ${logFile}`,
      );
    }
    if (outcome.gaveUp === 'interrupted') c.say(`stopped waiting for the warehouse (consumer lag: ${lag})`);
    return outcome.reconciliation.ok ? 0 : 1;
  } finally {
    if (worker) await worker.stop();
    await Promise.allSettled([mongo.close(), warehouse.end(), admin.disconnect()]);
    c.say('');
    c.say(
      `Stopped the worker; left running: ${services.local.length ? `the local services (${services.local.join(', ')}; stop them with: npm run services -- down)` : 'your services (MONGODB_URI etc.), untouched'}.`,
    );
    c.say(
      `Data: MongoDB database ${layout.db}, Kafka topics ${[...layout.topics.data, ...layout.topics.deadLetter].join(', ')}, ` +
        `warehouse ${hidePassword(process.env.DATABASE_URL ?? '')} schema ${layout.schema}, source offsets in ${stateDir}. ` +
        'Run it again to continue from there; --reset starts from empty data.',
    );
  }
}
