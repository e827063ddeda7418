import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { replayDeadLetters } from '../herder/dead-letter-replay.js';
import type { RouteContext } from './context.js';
import { ConnectorNameParams, errorResponses } from './schemas.js';

const Group = Type.Object({
  rule: Type.String({ description: 'The rule a message starts with (`unknown-customer: ...`), else the stage.' }),
  stage: Type.String({ description: 'conflux.error.stage: where the record failed (transform:<alias>, convert, put, source, ...).' }),
  count: Type.Integer(),
  first: Type.String({ format: 'date-time' }),
  last: Type.String({ format: 'date-time' }),
});

const Record = Type.Object({
  partition: Type.Integer(),
  offset: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  rule: Type.String(),
  stage: Type.String(),
  key: Type.Unknown({ description: 'Decoded: Avro through the Schema Registry, JSON as parsed, other text as is, else {base64}.' }),
  keyText: Type.Optional(Type.String({ description: 'The key as written, when it is text (what a replay asks the source for).' })),
  value: Type.Unknown({ description: 'Decoded like key; null when the record was dead-lettered without its value.' }),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Every header, conflux.error.* included.' }),
});

const DeadLetters = Type.Object({
  topic: Type.String(),
  total: Type.Integer({ description: 'Records the topic holds.' }),
  scanned: Type.Integer({ description: 'Records read for this answer: the newest `scan` of each partition.' }),
  groups: Type.Array(Group, { description: 'The scanned records by rule and stage, most frequent first.' }),
  records: Type.Array(Record, { description: 'The newest scanned records matching rule and stage, at most `limit`.' }),
});

/** The connector's dead-letter topic, read back: counts by rule, and the latest records decoded. */
export const deadLettersPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder }) => {
  app.get(
    '/connectors/:name/dead-letters',
    {
      schema: {
        summary: 'Read the dead-letter topic',
        description:
          "Reads the newest records of the connector's dead-letter topic (errors.deadletterqueue.topic.name; 404 without one): counts by rule and stage with their time range, and the latest records decoded with their conflux.error.* headers. Values pass the same secret scrub as every answer.",
        tags: ['dead-letters'],
        params: ConnectorNameParams,
        querystring: Type.Object({
          rule: Type.Optional(Type.String({ description: 'Only records of this rule.' })),
          stage: Type.Optional(Type.String({ description: 'Only records of this stage.' })),
          limit: Type.Integer({ minimum: 0, maximum: 1000, default: 20, description: 'Most records returned.' }),
          scan: Type.Integer({ minimum: 1, maximum: 100000, default: 10000, description: 'Most records read per partition, from the end.' }),
        }),
        response: { 200: DeadLetters, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const { rule, stage, limit, scan } = request.query;
      return herder.deadLetters(request.params.name, { limit, scan, ...(rule !== undefined ? { rule } : {}), ...(stage !== undefined ? { stage } : {}) });
    },
  );

  app.post(
    '/connectors/:name/dead-letters/replay',
    {
      schema: {
        summary: 'Replay dead letters from their source',
        description:
          "Reads the keys of the connector's dead letters (optionally of one rule or stage) again from the source connector that writes their topic, by an incremental snapshot of those keys: a record fixed since lands, one still invalid is dead-lettered again with a fresh reason, a key deleted since becomes a delete. The records carry conflux.snapshot.id; the sink applies them by position, so a replay never doubles a row. 400 when there is nothing to replay.",
        tags: ['dead-letters'],
        params: ConnectorNameParams,
        body: Type.Object(
          {
            rule: Type.Optional(Type.String({ description: 'Only dead letters of this rule.' })),
            stage: Type.Optional(Type.String({ description: 'Only dead letters of this stage.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            replays: Type.Array(
              Type.Object({
                topic: Type.String(),
                source: Type.String({ description: 'The source connector asked.' }),
                collection: Type.String(),
                keys: Type.Integer({ description: 'Distinct keys asked for.' }),
                snapshot: Type.Object({ id: Type.String(), state: Type.String() }, { additionalProperties: true }),
              }),
            ),
            skipped: Type.Array(Type.Object({ topic: Type.String(), records: Type.Integer(), reason: Type.String() })),
          }),
          ...errorResponses(400, 404, 503),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await replayDeadLetters(herder, request.params.name, request.body ?? {})),
  );
};
