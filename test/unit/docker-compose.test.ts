import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';

// `docker compose config` cannot run without Docker; these checks catch what breaks the file's
// wiring: a role missing, a service started before what it needs, a host name nobody serves.
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(root('docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const { services } = compose;

t.test('every role of the pipeline is there, each dependency with a health check', async (t) => {
  t.same(Object.keys(services).sort(), ['conflux', 'kafka', 'mongo', 'postgres', 'schema-registry']);
  t.match(services.mongo!.image, /^mongo:7/);
  t.match(services.kafka!.image, /^apache\/kafka:/);
  t.match(services['schema-registry']!.image, /^apicurio\/apicurio-registry:/);
  t.match(services.postgres!.image, /^postgres:16/);
  for (const name of ['mongo', 'kafka', 'schema-registry', 'postgres']) {
    t.ok(services[name]!.healthcheck?.test?.length, `${name} has a health check`);
    t.same(services.conflux!.depends_on?.[name], { condition: 'service_healthy' }, `conflux waits until ${name} is healthy`);
  }
});

t.test('MongoDB runs as replica set rs0, initiated by its health check under the name the worker uses', async (t) => {
  const command = services.mongo!.command!.join(' ');
  t.match(command, /--replSet rs0/);
  const init = services.mongo!.healthcheck!.test.join(' ');
  t.match(init, /rs\.initiate\(\{_id: 'rs0'/, 'no manual rs.initiate');
  const uri = new URL(services.conflux!.environment!.MONGODB_URI!);
  t.equal(uri.searchParams.get('replicaSet'), 'rs0');
  t.match(init, new RegExp(`host: '${uri.host}'`), 'the member is named as the worker reaches it');
});

t.test('the worker reaches each service under a name and port that service serves', async (t) => {
  const env = services.conflux!.environment!;
  const advertised = services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS!;
  for (const broker of env.KAFKA_BROKERS!.split(',')) t.match(advertised, new RegExp(`//${broker}(,|$)`), `Kafka advertises ${broker}`);
  const registry = new URL(env.SCHEMA_REGISTRY_URL!);
  t.equal(registry.hostname, 'schema-registry');
  t.match(registry.pathname, /^\/apis\/ccompat\/v7/, 'the Confluent-compatible API of Apicurio');
  const db = new URL(env.DATABASE_URL!);
  t.equal(db.hostname, 'postgres');
  t.equal(db.pathname, `/${services.postgres!.environment!.POSTGRES_DB}`);
  t.equal(db.username, services.postgres!.environment!.POSTGRES_USER);
});

t.test('the worker is built from this repository and serves its API only with a token', async (t) => {
  const conflux = services.conflux!;
  t.ok(conflux.build && existsSync(root(conflux.build.dockerfile)), 'the Dockerfile exists');
  const dockerfile = readFileSync(root(conflux.build!.dockerfile), 'utf8');
  t.match(dockerfile, /ENTRYPOINT \["node", "bin\/conflux\.js"\]/);
  const workerFile = conflux.command![conflux.command!.indexOf('--worker') + 1]!;
  const worker = JSON.parse(readFileSync(root(workerFile), 'utf8')) as Record<string, unknown>;
  t.equal(worker['rest.host'], '0.0.0.0', 'reachable through the published port');
  t.equal(worker['rest.auth.token'], '${env:CONFLUX_REST_TOKEN}');
  t.match(conflux.environment!.CONFLUX_REST_TOKEN, /^\$\{CONFLUX_REST_TOKEN:\?/, 'compose refuses to start without a token');
  for (const dir of ['bin', 'runtime', 'connectors', 'transforms', 'config']) t.match(dockerfile, new RegExp(`COPY ${dir}/ ${dir}/`), `the image has ${dir}/`);
});
