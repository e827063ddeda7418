import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { assertLatestOrders, orderSinkConfig, orderStream, storedOffsetSum, type Query } from '../fixtures/order-stream.js';
import { ordersEnvelopeSchema } from '../fixtures/shop.js';
import { produceAvro } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { freePort } from '../helpers/mongo-test-server.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const cli = fileURLToPath(new URL('../../bin/conflux.js', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** `conflux standalone` as a child process; killed at teardown if still running. Its output is kept for failure messages. */
function standalone(
  t: Test,
  workerFile: string,
  connectorFile: string,
): { child: ChildProcess; output: () => string; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, [cli, 'standalone', '--worker', workerFile, connectorFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

t.test(
  'a sink worker killed with SIGKILL mid-stream and restarted: every order exactly once at its latest state, stored offsets at the end of the topic',
  async (t) => {
    const { schema, client } = await uniqueSchema(t);
    const query: Query = (sql, params) => client.query(sql, params);
    const { kafkaBrokers, schemaRegistryUrl, databaseUrl } = services();
    const topic = uniqueName('orders-sigkill');
    const name = uniqueName('sigkill-sink');
    await createTopic(topic, 2);
    const n = 30_000;
    const events = orderStream(n);
    await produceAvro(topic, ordersEnvelopeSchema(), events);

    const state = tempDir(t);
    const workerFile = join(state, 'worker.json');
    const connectorFile = join(state, 'sink.json');
    writeFileSync(
      workerFile,
      JSON.stringify({
        'bootstrap.servers': kafkaBrokers.join(','),
        'schema.registry.url': schemaRegistryUrl,
        'rest.host': '127.0.0.1',
        'rest.port': await freePort(),
        'offset.storage': 'file',
        'offset.storage.file.filename': join(state, 'offsets.json'),
        'state.dir': state,
      }),
    );
    writeFileSync(
      connectorFile,
      JSON.stringify({
        name,
        // Many small transactions, so that the kill lands in the middle of the stream.
        config: orderSinkConfig(databaseUrl, topic, schema, { 'batch.max.records': '1000', 'errors.retry.timeout': '120000' }),
      }),
    );

    const first = standalone(t, workerFile, connectorFile);
    // A flush bigger than batch.max.records commits in slices, the offsets with the last one: wait
    // for stored offsets, not only rows, so that the kill comes after at least one complete flush.
    await waitFor(
      'the first flush to be committed',
      async () => {
        if (first.child.exitCode !== null) throw new Error(`conflux exited early: ${first.output()}`);
        const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ready`, [`"${schema}".conflux_sink_offsets`]);
        return rows[0].ready && (await storedOffsetSum(query, schema, name)) > 0 ? true : undefined;
      },
      120_000,
    );
    first.child.kill('SIGKILL');
    t.equal(await first.exited, 'SIGKILL', 'the worker died by SIGKILL, with no chance to flush or commit');
    const partial = await storedOffsetSum(query, schema, name);
    t.ok(partial > 0 && partial < events.length, `killed mid-stream, with ${partial} of ${events.length} records stored`);

    // The stream goes on while the worker is down; the restarted worker resumes from the warehouse's offsets.
    const more = orderStream(500, n);
    await produceAvro(topic, ordersEnvelopeSchema(), more);
    const second = standalone(t, workerFile, connectorFile);
    const total = events.length + more.length;
    await waitFor(
      `offsets summing to ${total}`,
      async () => {
        if (second.child.exitCode !== null) throw new Error(`conflux exited: ${second.output()}`);
        return (await storedOffsetSum(query, schema, name)) >= total ? true : undefined;
      },
      180_000,
    );
    await assertLatestOrders(t, query, schema, n + 500);

    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const { rows } = await client.query(
      `SELECT partition, next_offset::text AS next FROM "${schema}".conflux_sink_offsets WHERE connector = $1 AND topic = $2 ORDER BY partition`,
      [name, topic],
    );
    t.same(
      rows,
      ends.map((e) => ({ partition: e.partition, next: e.high })).sort((a, b) => a.partition - b.partition),
      'each partition stored at the end of its log',
    );

    second.child.kill('SIGTERM');
    t.equal(await second.exited, 0, 'a SIGTERM drains and exits cleanly');
  },
);
