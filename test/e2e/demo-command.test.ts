/**
 * The main command of the README (`npm start` = `conflux demo`) run as a user runs it, as a child
 * process against the running services: it must catch up and reconcile MongoDB with the warehouse
 * after 500 new orders, keep the REST API and Swagger UI up while it runs, and exit non-zero when
 * the warehouse holds what MongoDB does not. A namespace keeps its topics, database, schema and
 * consumer groups apart from other tests sharing the services.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { services, waitFor } from '../helpers/services.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

t.setTimeout(25 * 60_000); // two runs of the whole pipeline on a loaded 2-core machine

interface Run {
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function demo(args: string[]): Run {
  const child = spawn(process.execPath, ['bin/conflux.js', 'demo', ...args], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { output: () => output, exit };
}

t.test('conflux demo --orders 500 catches up and reconciles; a warehouse row MongoDB lacks fails the next run', async (t) => {
  const s = services();
  const ns = `t${process.pid}_${Date.now().toString(36)}`;
  const schema = ns;
  const warehouse = new pg.Client({ connectionString: s.databaseUrl });
  await warehouse.connect();
  const mongo = new MongoClient(s.mongoUri);
  await mongo.connect();
  const kafka = new Kafka({ brokers: s.kafkaBrokers, logLevel: logLevel.NOTHING });
  let printed = () => '';
  t.teardown(async () => {
    await warehouse.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await warehouse.end();
    await mongo
      .db(`shop_${ns}`)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${ns}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([`connect-warehouse-orders-${ns}`, `connect-warehouse-customers-${ns}`]).catch(() => undefined);
    await admin.disconnect();
    // A failed run says what the demo printed and what its worker logged last.
    if (!t.passing()) {
      t.comment(`demo output:\n${printed()}`);
      const log = await readFile(`${repoRoot}/state/demo-${ns}/worker.log`, 'utf8').catch(() => '');
      t.comment(`worker log (last 40 lines):\n${log.split('\n').slice(-40).join('\n')}`);
    }
    await rm(`${repoRoot}/state/demo-${ns}`, { recursive: true, force: true });
  });

  const first = demo(['--orders', '500', '--namespace', ns, '--port', '0', '--timeout', '900']);
  printed = first.output;
  const api = await waitFor('the REST API address in the output', () => /REST API (http:\/\/\S+)/.exec(first.output())?.[1], 5 * 60_000);
  const connectors = (await (await fetch(`${api}/connectors`)).json()) as string[];
  t.same(
    connectors.sort(),
    [`orders-source-${ns}`, `warehouse-customers-${ns}`, `warehouse-orders-${ns}`],
    'the versioned connectors run, under the namespace',
  );
  const docs = await fetch(`${api}/docs`);
  t.equal(docs.status, 200, 'Swagger UI is served while the demo runs');
  t.match(await docs.text(), /swagger/i);
  t.equal(first.output().includes('Swagger UI ' + api + '/docs'), true, 'the output says where Swagger UI is');

  const code = await first.exit;
  const output = first.output();
  t.equal(code, 0, `exit code 0\n${output.slice(-4000)}`);
  const reconciled = /RECONCILED: (\d+) orders, total ([\d.]+), (\d+) invalid orders rejected/.exec(output);
  t.ok(reconciled, 'the summary says it reconciled');
  t.notMatch(output, /MISMATCH|NOT RECONCILED/);
  t.match(output, /orders\s+(\d+)\s+\1\s+ok/, 'the order counts agree');
  t.match(output, /sum of totals\s+([\d.]+)\s+\1\s+ok/, 'the sums of the totals agree');
  t.match(output, /Rejected orders by rule/);
  t.match(output, /left running: your services .*untouched/, 'it says what it left running');
  t.match(output, /Run it again to continue from there/);

  // The summary against the data itself, read here independently.
  const { rows } = await warehouse.query<{ n: string; sum: string }>(
    `SELECT count(*) AS n, coalesce(sum(total), 0)::numeric(20,2)::text AS sum FROM "${schema}".fact_orders`,
  );
  t.equal(rows[0]!.n, reconciled![1], 'the warehouse holds as many orders as the summary says');
  t.equal(Number(rows[0]!.sum), Number(reconciled![2]), 'and their totals add up to the summary');
  const orders = mongo.db(`shop_${ns}`).collection('orders');
  const live = await orders.countDocuments();
  t.ok(live >= 1000, `MongoDB holds the seeded orders and the new ones, less deletes (${live})`);
  t.equal(Number(reconciled![1]) + Number(reconciled![3]), live, 'every MongoDB order is either in the warehouse or rejected');
  const { rows: stored } = await warehouse.query<{ connector: string }>(`SELECT DISTINCT connector FROM "${schema}".conflux_sink_offsets ORDER BY connector`);
  t.same(
    stored.map((r) => r.connector),
    [`warehouse-customers-${ns}`, `warehouse-orders-${ns}`],
    'the sinks stored their offsets with the rows',
  );

  // A row MongoDB never had: the next run must not reconcile, and must exit non-zero.
  await warehouse.query(
    `INSERT INTO "${schema}".fact_orders (order_id, customer_id, status, item_count, total, currency, created_at, updated_at, source_event_time, source_ts_ms, source_offset)
     VALUES ('tampered-order', 'nobody', 'paid', 1, 1.00, 'EUR', now(), now(), now(), 0, 0)`,
  );
  const second = demo(['--orders', '1', '--invalid-ratio', '0', '--namespace', ns, '--port', '0', '--timeout', '600']);
  const secondCode = await second.exit;
  const secondOutput = second.output();
  t.equal(secondCode, 1, `exit code 1\n${secondOutput.slice(-3000)}`);
  t.match(secondOutput, /already seeded/, 'the second run tops up the data of the first instead of seeding again');
  t.match(secondOutput, /in the warehouse but not a valid MongoDB order: tampered-order/);
  t.match(secondOutput, /NOT RECONCILED/);
  t.match(
    secondOutput,
    /standing still for 90 s \(no lag, no new records\) and the warehouse does not match MongoDB/,
    'a lasting mismatch ends the wait before the timeout',
  );
});
