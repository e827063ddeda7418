import Type, { type TSchema } from 'typebox';
import { CONNECTOR_NAME_PATTERN, MAX_CONFIG_KEYS } from '../config/connector-schema.js';
import { ERROR_CATALOGUE } from '../errors.js';

/*
 * Request and response schemas shared by the route plugins. Shapes follow Kafka Connect's REST API
 * so that its existing clients and tools work unchanged. The error body is a shared schema
 * (`app.addSchema`) referenced by `$ref`, so it appears once in openapi.yaml.
 */

export const ERROR_BODY_ID = 'ErrorBody';
export const ERROR_CODE_ID = 'ErrorCode';

/** Every catalogue code; REST clients may switch on it instead of parsing messages. */
export const ErrorCodeSchema = Type.Enum(
  ERROR_CATALOGUE.map((e) => e.code),
  {
    $id: ERROR_CODE_ID,
    description: 'Stable identifier of the error kind, from the error catalogue (see x-error-catalogue).',
    'x-error-catalogue': ERROR_CATALOGUE.map(({ code, status, kind, next, description }) => ({ code, status, kind, next, description })),
  },
);

export const ErrorBodySchema = Type.Object(
  {
    error_code: Type.Integer({ description: 'The HTTP status code, as in Kafka Connect.' }),
    message: Type.String({ description: 'What went wrong. Secret values are never included.' }),
    code: Type.Optional(Type.Ref(ERROR_CODE_ID)),
    errors: Type.Optional(
      Type.Array(Type.Object({ key: Type.String(), message: Type.String() }), {
        description: 'For invalid configs: every invalid key with its problem.',
      }),
    ),
  },
  { $id: ERROR_BODY_ID, description: 'Error response body' },
);

const errorRef = (description: string) => Type.Ref(ERROR_BODY_ID, { description });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request or invalid connector configuration',
  401: 'Missing or wrong bearer token',
  403: 'Without a token: a Host other than localhost or rest.allowed.hosts, or a foreign Origin',
  404: 'Connector, task, plugin or logger not found',
  409: 'Conflict with the current state (the connector already exists)',
  413: 'Request body too large',
  500: 'Unexpected error',
  503: 'A service the worker depends on (Kafka) is unreachable',
};

/** Response entries for the given error statuses, all with the shared error body. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorRef(ERROR_DESCRIPTIONS[s] ?? 'Error')]));
}

/** The error response added to every route by the app (auth and unexpected errors). */
export const commonErrorResponse = errorRef;
export const errorDescription = (status: number): string => ERROR_DESCRIPTIONS[status] ?? 'Error';

export { CONNECTOR_NAME_PATTERN, MAX_CONFIG_KEYS } from '../config/connector-schema.js';

export const ConnectorNameParams = Type.Object({ name: Type.String({ description: 'Connector name' }) });
export const NewConnectorNameParams = Type.Object({
  name: Type.String({ description: 'Connector name', pattern: CONNECTOR_NAME_PATTERN }),
});

/** A config as stored and shown: a flat map of strings (Kafka Connect's Map<String, String>). */
export const ConfigMap = Type.Record(Type.String(), Type.String(), {
  description: 'Connector configuration: dotted keys, string values. Secret values are shown as [hidden].',
});

/** A config as accepted: numbers and booleans are turned into strings, as Kafka Connect does. */
export const ConfigInput = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  maxProperties: MAX_CONFIG_KEYS,
  description: 'Connector configuration. Values may be ${env:NAME} or ${file:/path:key} placeholders.',
  examples: [{ 'connector.class': 'postgres-sink', topics: 'orders-cdc', 'connection.password': '${env:CONFLUX_PG_PASSWORD}' }],
});

// Values are checked in the handler: with fastify's type coercion, a union with null would turn
// null into "" (string branch first) or "", 0 and false into null (null branch first).
export const ConfigPatch = Type.Record(Type.String(), Type.Unknown({ description: 'A string, number or boolean; null removes the key' }), {
  maxProperties: MAX_CONFIG_KEYS,
  description: 'Keys to set; a null value removes the key.',
});

export const TargetStateSchema = Type.Enum(['RUNNING', 'PAUSED', 'STOPPED'], { description: 'Desired state' });

const ObservedStateSchema = Type.Enum(['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'], { description: 'Observed state' });

export const ConnectorType = Type.Enum(['source', 'sink']);

export const TaskId = Type.Object({ connector: Type.String(), task: Type.Integer() });

export const ConnectorInfoSchema = Type.Object({
  name: Type.String(),
  config: ConfigMap,
  tasks: Type.Array(TaskId),
  type: ConnectorType,
});

export const TaskStatusSchema = Type.Object({
  id: Type.Integer(),
  state: ObservedStateSchema,
  worker_id: Type.String(),
  trace: Type.Optional(Type.String({ description: 'Stack trace of the failure, when FAILED' })),
  progress: Type.Optional(
    Type.Array(
      Type.Object({
        phase: Type.String({ description: 'What the task is doing, e.g. snapshot' }),
        source: Type.String({ description: 'What it is working through, e.g. a collection' }),
        done: Type.Integer({ description: 'Units done so far, e.g. documents copied' }),
        total: Type.Optional(Type.Integer({ description: 'Estimated units in all, when known (done may pass it)' })),
      }),
      {
        description:
          "Not in Kafka Connect: the progress of long phases under way in a RUNNING or PAUSED task (a source connector's initial copy), one entry per phase; absent when none is",
      },
    ),
  ),
});

export const ConnectorStatusSchema = Type.Object({
  name: Type.String(),
  connector: Type.Object({
    state: ObservedStateSchema,
    worker_id: Type.String(),
    trace: Type.Optional(Type.String()),
  }),
  tasks: Type.Array(TaskStatusSchema),
  type: ConnectorType,
});

export const OffsetEntry = Type.Object({
  partition: Type.Record(Type.String(), Type.Unknown(), { description: 'Source partition, or {kafka_topic, kafka_partition} for sinks' }),
  offset: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'Source offset, or {kafka_offset} for sinks; null removes the offset',
  }),
});

/** A response without a body (202, 204): documented by its description only. */
export const emptyResponse = (description: string) => ({ description }) as { description: string };

export const MessageBody = Type.Object({ message: Type.String() });

/**
 * A boolean query parameter as Kafka Connect reads it: `true`/`false` in any case (Python's
 * `requests` writes `True`). Read it with queryFlag.
 */
export const QueryBoolean = (fallback: boolean) =>
  Type.String({ pattern: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$', default: String(fallback), description: 'true or false, in any case' });

export const queryFlag = (value: string): boolean => value.toLowerCase() === 'true';
