import { hostname } from 'node:os';
import Type, { type Static } from 'typebox';
import type { ConfigErrorEntry } from '../api/errors.js';
import { Secret } from '../api/schema.js';
import { compileSchema, toConfigErrors } from './ajv.js';

/** Schema of config/worker.json. */
export const workerConfigSchema = Type.Object(
  {
    'worker.id': Type.Optional(
      Type.String({
        description: 'Identifier reported in connector and task status. Defaults to <hostname>:<rest.port>.',
        minLength: 1,
        examples: ['conflux-1:8083'],
      }),
    ),
    'rest.host': Type.String({
      description: 'Interface the REST API listens on. Binding beyond loopback requires rest.auth.token or rest.allow.insecure.bind.',
      default: '127.0.0.1',
      examples: ['0.0.0.0'],
    }),
    'rest.port': Type.Integer({ description: 'Port of the REST API.', minimum: 0, maximum: 65535, default: 8083 }),
    'rest.auth.token': Type.Optional(
      Secret(
        Type.String({
          description: 'Bearer token required on every REST request except GET /health. Give it as ${env:NAME} or ${file:/path:key}.',
          minLength: 16,
          examples: ['${env:CONFLUX_REST_TOKEN}'],
        }),
      ),
    ),
    'rest.allowed.hosts': Type.Optional(
      Type.String({
        description:
          'Without rest.auth.token: comma-separated host names (with or without :port) accepted in the Host header, besides localhost, 127.0.0.1, [::1] and rest.host. Protects the open API against DNS rebinding; requests from a browser page of another origin are refused as well.',
        examples: ['conflux.internal,10.0.0.5'],
      }),
    ),
    'rest.tls.cert.file': Type.Optional(
      Type.String({
        description:
          'PEM certificate (chain) of an HTTPS listener: with rest.tls.key.file, the REST API (and /ui, /docs) is served over TLS only. Clients that do not trust its issuer take it with NODE_EXTRA_CA_CERTS (the conflux CLI, other workers of a cluster).',
        minLength: 1,
        examples: ['/etc/conflux/tls/worker.crt'],
      }),
    ),
    'rest.tls.key.file': Type.Optional(
      Type.String({ description: 'PEM private key of rest.tls.cert.file.', minLength: 1, examples: ['/etc/conflux/tls/worker.key'] }),
    ),
    'rest.tls.key.password': Type.Optional(
      Secret(Type.String({ description: 'Passphrase of an encrypted rest.tls.key.file. Give it as ${env:NAME} or ${file:/path:key}.', minLength: 1 })),
    ),
    'rest.allow.insecure.bind': Type.Boolean({
      description: 'Allow listening on a non-loopback interface without rest.auth.token.',
      default: false,
    }),
    'bootstrap.servers': Type.String({
      description: 'Comma-separated Kafka brokers (host:port).',
      minLength: 1,
      default: '127.0.0.1:9092',
      examples: ['kafka-1:9092,kafka-2:9092'],
    }),
    'security.protocol': Type.Enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], {
      description:
        "How every Kafka client of the worker and its tasks connects (Kafka's security.protocol): SSL and SASL_SSL over TLS (ssl.*), SASL_PLAINTEXT and SASL_SSL authenticated (sasl.*). The tasks' producers and consumers use the worker's connection, so they act as the worker's principal.",
      default: 'PLAINTEXT',
    }),
    'ssl.ca.location': Type.Optional(
      Type.String({
        description: "PEM file of the CA certificates the brokers' certificates are checked against (the system's CAs without it).",
        minLength: 1,
      }),
    ),
    'ssl.certificate.location': Type.Optional(
      Type.String({
        description: 'PEM client certificate, for brokers that authenticate clients by TLS (ssl.client.auth=required); with ssl.key.location.',
        minLength: 1,
      }),
    ),
    'ssl.key.location': Type.Optional(Type.String({ description: 'PEM private key of ssl.certificate.location.', minLength: 1 })),
    'ssl.key.password': Type.Optional(Secret(Type.String({ description: 'Passphrase of an encrypted ssl.key.location.', minLength: 1 }))),
    'ssl.endpoint.identification.algorithm': Type.Enum(['https', 'none'], {
      description: "https (the default) checks that a broker's certificate names the host connected to; none skips the check (not for production).",
      default: 'https',
    }),
    'sasl.mechanism': Type.Optional(
      Type.Enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], {
        description: 'SASL mechanism, with SASL_PLAINTEXT or SASL_SSL. PLAIN sends the password as is: use it over SASL_SSL only.',
      }),
    ),
    'sasl.username': Type.Optional(Type.String({ description: 'SASL user name.', minLength: 1 })),
    'sasl.password': Type.Optional(
      Secret(Type.String({ description: 'SASL password. Give it as ${env:NAME} or ${file:/path:key}.', minLength: 1, examples: ['${env:KAFKA_PASSWORD}'] })),
    ),
    'schema.registry.url': Type.String({
      description: 'Base URL of the Confluent-compatible Schema Registry API, used by the avro converter.',
      format: 'uri',
      default: 'http://127.0.0.1:8081',
      examples: ['http://127.0.0.1:8080/apis/ccompat/v7'],
    }),
    'offset.storage': Type.Enum(['file', 'kafka'], {
      description: 'Where source offsets are stored: a local file (standalone) or a compacted Kafka topic.',
      default: 'file',
    }),
    'offset.storage.file.filename': Type.String({
      description: 'Offset file when offset.storage=file, relative to the working directory.',
      minLength: 1,
      default: 'state/offsets.json',
    }),
    'offset.storage.topic': Type.String({
      description:
        'Compacted topic holding source offsets when offset.storage=kafka, and always in distributed mode. Created (compacted, 1 partition) if missing.',
      minLength: 1,
      default: 'conflux-offsets',
    }),
    'offset.storage.replication.factor': Type.Integer({
      description:
        "Replication factor of the offsets topic when the worker creates it; -1 takes the broker's default.replication.factor. Kafka Connect defaults to 3; conflux defaults to -1 so the same file runs on a one-broker development cluster: set 3 in production.",
      minimum: -1,
      default: -1,
    }),
    'group.id': Type.Optional(
      Type.String({
        description:
          'Distributed mode (conflux distributed): the group the workers of one cluster join. Workers with the same group.id and storage topics share connectors and tasks; required in distributed mode, unused in standalone mode.',
        minLength: 1,
        maxLength: 249,
        examples: ['conflux-cluster'],
      }),
    ),
    'config.storage.topic': Type.String({
      description:
        'Distributed mode: compacted topic holding connector configs, target states (RUNNING, PAUSED, STOPPED) and task configs. Created (compacted, 1 partition, which keeps every change in one order) if missing.',
      minLength: 1,
      default: 'conflux-configs',
    }),
    'config.storage.replication.factor': Type.Integer({
      description:
        "Replication factor of the config topic when the worker creates it; -1 takes the broker's default.replication.factor. Kafka Connect defaults to 3; conflux defaults to -1 so the same file runs on a one-broker development cluster: set 3 in production.",
      minimum: -1,
      default: -1,
    }),
    'status.storage.topic': Type.String({
      description:
        'Distributed mode: compacted topic holding the status of every connector and task with the worker that runs it. Created (compacted, 1 partition) if missing.',
      minLength: 1,
      default: 'conflux-status',
    }),
    'status.storage.replication.factor': Type.Integer({
      description:
        "Replication factor of the status topic when the worker creates it; -1 takes the broker's default.replication.factor. Kafka Connect defaults to 3; conflux defaults to -1 so the same file runs on a one-broker development cluster: set 3 in production.",
      minimum: -1,
      default: -1,
    }),
    'rest.advertised.url': Type.Optional(
      Type.String({
        description:
          "Distributed mode: the URL other workers and clients reach this worker's REST API at, shared with the group. Defaults to http://<rest.host>:<rest.port>.",
        format: 'uri',
        examples: ['http://conflux-1.internal:8083'],
      }),
    ),
    'session.timeout.ms': Type.Integer({
      description:
        "Distributed mode: a worker not heard from for this long leaves the group and its connectors and tasks move to the others (Kafka Connect's default).",
      minimum: 6000,
      default: 10000,
    }),
    'heartbeat.interval.ms': Type.Integer({
      description: 'Distributed mode: how often a worker tells the group coordinator it is alive; well below session.timeout.ms.',
      minimum: 100,
      default: 3000,
    }),
    'rebalance.timeout.ms': Type.Integer({
      description: 'Distributed mode: how long the group waits for every worker to rejoin during a rebalance.',
      minimum: 1000,
      default: 60000,
    }),
    'consumer.session.timeout.ms': Type.Integer({
      description:
        "Session timeout of every sink task's consumer (Kafka Connect's consumer.* worker prefix). When a worker dies without leaving, its sink consumers stay in their groups this long, and the sink tasks that moved elsewhere read nothing until then: it bounds how long a sink stands still after a crash.",
      minimum: 6000,
      default: 30000,
    }),
    'consumer.heartbeat.interval.ms': Type.Integer({
      description: "How often a sink task's consumer tells its group coordinator it is alive; well below consumer.session.timeout.ms.",
      minimum: 100,
      default: 3000,
    }),
    'state.dir': Type.String({ description: 'Directory for local worker state.', minLength: 1, default: 'state' }),
    'config.providers.file.allowed.paths': Type.Optional(
      Type.String({
        description:
          'Comma-separated directories that ${file:..} placeholders in connector configs may read below (symlinks resolved; .. cannot escape). Defaults to the directory of the worker config file (config/ without one). The worker config itself is not limited.',
        examples: ['config,/run/secrets'],
      }),
    ),
    'config.providers.env.allowlist': Type.String({
      description:
        "Comma-separated environment variable names that ${env:..} placeholders in connector configs may read; an entry ending in * is a prefix. A prefix never reaches the worker's own variables (CONFLUX_REST_TOKEN, CONFLUX_URL, CONFLUX_LOG_LEVEL, CONFLUX_COMMIT): only an entry naming one exactly does. The worker config itself is not limited.",
      minLength: 1,
      default: 'CONFLUX_*',
      examples: ['CONFLUX_*,PG_PASSWORD'],
    }),
    'task.restart.auto': Type.Boolean({
      description: 'Restart FAILED tasks automatically with exponential backoff.',
      default: false,
    }),
    'task.restart.backoff.initial.ms': Type.Integer({
      description: 'First delay before an automatic task restart.',
      minimum: 1,
      default: 1000,
    }),
    'task.restart.backoff.max.ms': Type.Integer({
      description: 'Upper bound of the delay between automatic task restarts.',
      minimum: 1,
      default: 60000,
    }),
    'task.restart.max.attempts': Type.Integer({
      description: 'Automatic restarts of one task before it stays FAILED; a task that ran healthy for task.restart.healthy.ms starts counting again.',
      minimum: 0,
      default: 10,
    }),
    'task.restart.healthy.ms': Type.Integer({
      description: 'A task that ran this long before failing counts as healthy: its automatic restarts start counting from zero again.',
      minimum: 1,
      default: 300000,
    }),
  },
  { additionalProperties: false },
);

const REPLICATION_FACTOR_KEYS = ['config.storage.replication.factor', 'offset.storage.replication.factor', 'status.storage.replication.factor'] as const;

export type WorkerConfig = Static<typeof workerConfigSchema> & { readonly 'worker.id': string };

export type WorkerValidationResult =
  { readonly ok: true; readonly config: Readonly<WorkerConfig> } | { readonly ok: false; readonly errors: readonly ConfigErrorEntry[] };

/**
 * Validates config/worker.json (placeholders already resolved): defaults applied, strings coerced,
 * every error reported with its key. `host` only exists for tests of the `worker.id` default.
 */
const HEARTBEAT_KEYS = [
  ['heartbeat.interval.ms', 'session.timeout.ms'],
  ['consumer.heartbeat.interval.ms', 'consumer.session.timeout.ms'],
] as const;

export function validateWorkerConfig(rawConfig: unknown, host: string = hostname()): WorkerValidationResult {
  if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)) {
    return { ok: false, errors: [{ key: '', message: 'the worker config must be a JSON object of key/value pairs' }] };
  }
  const config = structuredClone(rawConfig) as Record<string, unknown>;
  const validate = compileSchema(workerConfigSchema);
  const errors = validate(config) ? [] : toConfigErrors(validate.errors);
  const token = config['rest.auth.token'];
  // A token with whitespace can never match: the Authorization header parser trims it.
  if (typeof token === 'string' && /\s/.test(token)) errors.push({ key: 'rest.auth.token', message: 'must not contain whitespace' });
  for (const key of REPLICATION_FACTOR_KEYS) {
    if (config[key] === 0) errors.push({ key, message: "must be -1 (the broker's default) or at least 1" });
  }
  // kafkajs refuses a consumer whose heartbeat is not below its session timeout.
  for (const [heartbeat, session] of HEARTBEAT_KEYS) {
    const [h, st] = [config[heartbeat], config[session]]; // defaults filled in by the schema
    if (typeof h === 'number' && typeof st === 'number' && h >= st) errors.push({ key: heartbeat, message: `must be below ${session} (${st})` });
  }
  errors.push(...kafkaSecurityErrors(config));
  // An HTTPS listener needs both halves; one alone would silently serve plain HTTP.
  const [cert, key] = [config['rest.tls.cert.file'], config['rest.tls.key.file']];
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? 'rest.tls.cert.file' : 'rest.tls.key.file';
    errors.push({
      key: missing,
      message: `is required with ${cert === undefined ? 'rest.tls.key.file' : 'rest.tls.cert.file'} (an HTTPS listener needs both)`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  config['worker.id'] ??= `${host}:${String(config['rest.port'])}`;
  return { ok: true, config: Object.freeze(config) as WorkerConfig };
}

/** What a security.protocol needs besides itself; the names follow Kafka's and librdkafka's keys. */
function kafkaSecurityErrors(config: Record<string, unknown>): ConfigErrorEntry[] {
  const errors: ConfigErrorEntry[] = [];
  const protocol = String(config['security.protocol'] ?? 'PLAINTEXT');
  const sasl = protocol.startsWith('SASL_');
  for (const key of ['sasl.mechanism', 'sasl.username', 'sasl.password']) {
    if (sasl && config[key] === undefined) errors.push({ key, message: `is required with security.protocol=${protocol}` });
    if (!sasl && config[key] !== undefined) errors.push({ key, message: `has no effect with security.protocol=${protocol}; use SASL_PLAINTEXT or SASL_SSL` });
  }
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  for (const key of ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location', 'ssl.key.password']) {
    if (!tls && config[key] !== undefined) errors.push({ key, message: `has no effect with security.protocol=${protocol}; use SSL or SASL_SSL` });
  }
  if ((config['ssl.certificate.location'] === undefined) !== (config['ssl.key.location'] === undefined) && tls) {
    const missing = config['ssl.certificate.location'] === undefined ? 'ssl.certificate.location' : 'ssl.key.location';
    errors.push({ key: missing, message: 'a client certificate needs both ssl.certificate.location and ssl.key.location' });
  }
  return errors;
}
