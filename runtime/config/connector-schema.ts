import Type, { type Static } from 'typebox';

/** Pattern of dynamic keys of the transform chain, validated against each plugin's own schema. */
export const TRANSFORM_KEY = /^transforms\.([^.]+)\.(.+)$/;
export const PREDICATE_KEY = /^predicates\.([^.]+)\.(.+)$/;

/**
 * Kafka Connect connector names: also used in consumer group ids, URLs and topic-like contexts.
 * `.` and `..` are refused (clients normalise them out of URLs), and so are the names that are
 * special on JavaScript objects.
 */
export const CONNECTOR_NAME_PATTERN = '^(?!\\.{1,2}$)(?!(__proto__|constructor|prototype)$)[A-Za-z0-9._-]{1,249}$';
const CONNECTOR_NAME = new RegExp(CONNECTOR_NAME_PATTERN, 'u');

/** True for a name {@link CONNECTOR_NAME_PATTERN} accepts. */
export function isValidConnectorName(name: unknown): name is string {
  return typeof name === 'string' && CONNECTOR_NAME.test(name);
}

/** Most keys a connector config may have: far above any real config, far below a costly one. */
export const MAX_CONFIG_KEYS = 1000;

/**
 * Keys every connector accepts, with Kafka Connect's names and defaults. The transform and
 * predicate keys with an alias in the middle (`transforms.<alias>.type`) are not listed here:
 * their shape depends on the plugin named by `type` and they are validated separately.
 */
export const commonConnectorProperties = {
  name: Type.Optional(
    Type.String({
      description: 'The connector name. Optional here because the name is also given outside the config; when present it must match.',
      minLength: 1,
    }),
  ),
  'connector.class': Type.String({
    description: 'Name of the connector plugin, as listed by GET /connector-plugins.',
    minLength: 1,
    examples: ['mongodb-source', 'postgres-sink'],
  }),
  'tasks.max': Type.Integer({
    description: 'Maximum number of tasks. The connector may create fewer if the work cannot be split further.',
    minimum: 1,
    default: 1,
  }),
  'key.converter': Type.Enum(['avro', 'json', 'string'], {
    description: 'Serialisation of record keys in Kafka.',
    default: 'string',
  }),
  'value.converter': Type.Enum(['avro', 'json', 'string'], {
    description: 'Serialisation of record values in Kafka. avro uses the Schema Registry wire format.',
    default: 'avro',
  }),
  transforms: Type.String({
    description:
      'Comma-separated aliases of the single-message transforms to apply, in order. Each alias is configured with transforms.<alias>.type and further transforms.<alias>.* keys; transforms.<alias>.predicate and transforms.<alias>.negate make it conditional.',
    default: '',
    examples: ['parseOrder,enrichCustomer'],
  }),
  predicates: Type.String({
    description: 'Comma-separated aliases of predicates, each configured with predicates.<alias>.type and predicates.<alias>.* keys.',
    default: '',
    examples: ['isTombstone'],
  }),
  'errors.tolerance': Type.Enum(['none', 'all'], {
    description:
      'none: a record that fails conversion or a transform fails the task. all: such records are skipped (and sent to the dead-letter topic if one is set).',
    default: 'none',
  }),
  'errors.retry.timeout': Type.Integer({
    description: 'Total time in ms to retry a failed operation that may succeed later. 0 disables retries, -1 retries forever.',
    minimum: -1,
    default: 0,
    examples: [300000],
  }),
  'errors.retry.delay.max.ms': Type.Integer({
    description: 'Upper bound in ms of the backoff delay between two retries.',
    minimum: 1,
    default: 60000,
  }),
  'errors.deadletterqueue.topic.name': Type.String({
    description: 'Topic receiving records rejected under errors.tolerance=all, with the reason in conflux.error.* headers. Empty: no dead-letter topic.',
    default: '',
    examples: ['orders-dlq'],
  }),
  'errors.deadletterqueue.context.headers.enable': Type.Boolean({
    description:
      'Add conflux.error.* headers (stage, class, message, original topic/partition/offset, connector, task) to dead-lettered records. On by default, unlike Kafka Connect, because the reason is what an operator acts on; the messages are scrubbed of secrets, and no stack trace is added unless errors.deadletterqueue.context.headers.stacktrace asks for it.',
    default: true,
  }),
  'errors.deadletterqueue.context.headers.stacktrace': Type.Boolean({
    description:
      "Add the error's stack trace (conflux.error.stacktrace, scrubbed, at most 8 KiB) to dead-lettered records, with context headers on. Off by default: a stack tells whoever can read the topic the worker's files and code paths.",
    default: false,
  }),
  'errors.log.enable': Type.Boolean({
    description: 'Log every tolerated error with the record position.',
    default: false,
  }),
  'offset.flush.interval.ms': Type.Integer({
    description: 'Interval in ms between offset commits.',
    minimum: 1,
    default: 10000,
  }),
};

export const sinkConnectorProperties = {
  ...commonConnectorProperties,
  topics: Type.String({
    description: 'Comma-separated list of topics to consume.',
    minLength: 1,
    pattern: '^\\s*[A-Za-z0-9._-]+(\\s*,\\s*[A-Za-z0-9._-]+)*\\s*$',
    examples: ['orders-cdc,customers-cdc'],
  }),
  'parking.max.records': Type.Integer({
    description:
      'Records of one task that may wait parked at once: records a transform cannot decide yet (a join whose other side has not been read up to the record, NotYetError). A parked record holds back only the later records of its key; the others go on, and committed offsets stop below it. At the bound the task fetches nothing more until some are decided (its status says so, conflux_sink_parking_full is 1); nothing is dropped.',
    minimum: 1,
    default: 10000,
  }),
  'parking.max.bytes': Type.Integer({
    description: 'Bytes (keys and values as fetched) of the records of one task that may wait parked at once; see parking.max.records.',
    minimum: 1024,
    default: 67108864,
  }),
};

export const sourceConnectorProperties = {
  ...commonConnectorProperties,
  'max.in.flight.batches': Type.Integer({
    description:
      'Polled batches that may wait for Kafka to acknowledge them while the task polls the next. Batches are still sent one after another in poll order; source offsets are committed only for acknowledged records. 1 polls only after the previous batch was acknowledged.',
    minimum: 1,
    maximum: 64,
    default: 4,
  }),
  'producer.max.request.size': Type.Integer({
    description:
      "Largest produce request in bytes, estimated from the records' keys, values and headers plus Kafka's record overhead (like the Kafka producer's max.request.size). A polled batch larger than this is sent as several requests, one after another in poll order; a single record larger than this is a data error (errors.tolerance: the task fails, or the record is dead-lettered without its value). Keep it at or below the broker's message.max.bytes and the topics' max.message.bytes (about 1 MB by default).",
    minimum: 1024,
    default: 1048576,
  }),
};

export const commonConnectorConfig = Type.Object(commonConnectorProperties);
export const sourceConnectorConfig = Type.Object(sourceConnectorProperties);
export const sinkConnectorConfig = Type.Object(sinkConnectorProperties);

/** The keys every connector of a kind accepts, before its plugin's own. */
export const connectorProperties = (kind: 'source' | 'sink') => (kind === 'sink' ? sinkConnectorProperties : sourceConnectorProperties);
export const connectorConfigSchema = (kind: 'source' | 'sink') => (kind === 'sink' ? sinkConnectorConfig : sourceConnectorConfig);

export type CommonConnectorConfig = Static<typeof commonConnectorConfig>;
export type SinkConnectorConfig = Static<typeof sinkConnectorConfig>;
export type SourceConnectorConfig = Static<typeof sourceConnectorConfig>;
export type ConverterName = CommonConnectorConfig['key.converter'];

/** Splits a comma-separated list value (`transforms`, `topics`), dropping blanks. */
export function parseList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// Keys naming Kafka topics: a topic is created with that name (the dead-letter producer
// auto-creates its topic) and listed by anyone who can see the cluster.
const TOPIC_KEYS = new Set(['topic', 'topics', 'topic.prefix', 'topics.regex', 'errors.deadletterqueue.topic.name']);

/**
 * Connector keys whose values become names (the plugin, the transform chain's aliases and
 * plugins, Kafka topics): they must be written literally. A placeholder there would put a
 * resolved value into config keys, error messages (`transforms.<value>.type`, `unknown transform
 * "<value>"`), REST answers (`/topics`) or the name of a topic anyone with access to Kafka lists.
 */
export function isLiteralConnectorKey(key: string): boolean {
  if (key === 'name' || key === 'connector.class' || key === 'transforms' || key === 'predicates' || TOPIC_KEYS.has(key)) return true;
  const m = TRANSFORM_KEY.exec(key) ?? PREDICATE_KEY.exec(key);
  return m !== null && (m[2] === 'type' || m[2] === 'predicate');
}
