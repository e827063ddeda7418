/**
 * bench:peers' moving parts, without the benchmark: the scripts parse, the peer connector files
 * are complete JSON, and a Kafka Connect worker (installed from Maven Central on first use, about
 * 170 MB, cached) starts against the local Kafka and offers the MongoDB source, the JDBC sink and
 * Apicurio's Avro converter (the --format avro run).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { PeerWorker, connectScript, installScript, peerConfigDir, peerConnectorConfig } from '../../bench/peers/peer-worker.js';
import { services } from '../helpers/services.js';

const placeholders = {
  name: 'n',
  'mongodb.uri': 'mongodb://127.0.0.1:1',
  database: 'd',
  topic: 't',
  'start.seconds': '1',
  'jdbc.url': 'jdbc:postgresql://127.0.0.1:1/d',
  'jdbc.user': 'u',
  'jdbc.password': 'p',
  table: 'tb',
  'registry.url': 'http://127.0.0.1:1/apis/registry/v2',
};

t.test('the peer scripts parse', async (t) => {
  for (const script of [installScript, connectScript]) {
    t.doesNotThrow(() => execFileSync('bash', ['-n', script]), `bash -n ${script}`);
  }
});

t.test('each peer connector file is JSON with a connector class, and every placeholder is known', async (t) => {
  const files = readdirSync(peerConfigDir).filter((f) => f.endsWith('.json'));
  t.same(files.sort(), [
    'jdbc-sink-avro.json',
    'jdbc-sink.json',
    'mongo-source-events-avro.json',
    'mongo-source-events.json',
    'mongo-source-rows-avro.json',
    'mongo-source-rows.json',
  ]);
  for (const file of files) {
    const { name, config } = await peerConnectorConfig(file, placeholders);
    t.equal(name, 'n', `${file}: name from {{name}}`);
    t.match(config['connector.class'], /^(com\.mongodb|io\.debezium)\./, `${file}: a peer connector class`);
    t.notMatch(JSON.stringify(config), /\{\{/, `${file}: no placeholder left`);
  }
  await t.rejects(peerConnectorConfig('jdbc-sink.json', { name: 'n' }), /no value for \{\{/, 'a missing value is an error');
});

t.test('a Kafka Connect worker starts and lists the MongoDB source, the JDBC sink and the Avro converter', { timeout: 420_000 }, async (t) => {
  const { kafkaBrokers } = services();
  const worker = await PeerWorker.start(`smoke_${process.pid}_${Date.now().toString(36)}`, kafkaBrokers.join(','), 400_000, true);
  t.teardown(() => worker.stop());
  const { status, body } = await worker.rest<Array<{ class: string; type: string; version: string }>>('GET', '/connector-plugins');
  t.equal(status, 200);
  t.same(
    body.map((p) => `${p.class} ${p.type} ${p.version}`).sort(),
    [
      'com.mongodb.kafka.connect.MongoSinkConnector sink 2.0.1',
      'com.mongodb.kafka.connect.MongoSourceConnector source 2.0.1',
      'io.debezium.connector.jdbc.JdbcSinkConnector sink 3.6.0.Final',
    ],
    'the plugins of the peer pipeline, at the versions compared with',
  );
  const all = await worker.rest<Array<{ class: string; type: string }>>('GET', '/connector-plugins?connectorsOnly=false');
  t.equal(all.status, 200);
  t.ok(
    all.body.some((p) => p.class === 'io.apicurio.registry.utils.converter.AvroConverter' && p.type === 'converter'),
    "Apicurio's Avro converter (install.sh --avro), which the Avro run's peer connectors name",
  );
  const root = await worker.rest<{ version: string }>('GET', '/');
  t.match(root.body.version, /^4\.3\.1/, 'Kafka Connect 4.3.1');
});
