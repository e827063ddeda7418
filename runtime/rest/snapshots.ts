import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { SnapshotRequest } from '../api/index.js';
import { NotFoundError } from '../errors.js';
import type { RouteContext } from './context.js';
import { ConnectorNameParams, errorResponses } from './schemas.js';

const State = Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled'), Type.Literal('failed')]);

const Part = Type.Object({
  part: Type.String({ description: "The task's share of the collection (`1/3`), or `all`." }),
  state: State,
  documents: Type.Integer(),
  chunks: Type.Integer(),
  total: Type.Optional(Type.Integer({ description: 'Estimated documents of this part.' })),
  updatedAt: Type.String({ format: 'date-time' }),
  error: Type.Optional(Type.String()),
});

const Snapshot = Type.Object({
  id: Type.String(),
  collection: Type.String(),
  filter: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The query, as canonical Extended JSON.' })),
  ids: Type.Optional(Type.Integer({ description: 'How many _ids were asked for.' })),
  reason: Type.Optional(Type.String()),
  state: State,
  requestedAt: Type.String({ format: 'date-time' }),
  documents: Type.Integer({ description: 'Documents read so far, over every part.' }),
  total: Type.Optional(Type.Integer({ description: 'Estimated documents in all.' })),
  chunks: Type.Integer(),
  ratePerSecond: Type.Optional(Type.Integer()),
  etaSeconds: Type.Optional(Type.Integer()),
  parts: Type.Array(Part),
});

const Request = Type.Object(
  {
    collection: Type.String({ minLength: 1, description: "One of the connector's collections." }),
    filter: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Only documents matching this query (Extended JSON, e.g. {"status": "paid"}).' }),
    ),
    ids: Type.Optional(
      Type.Array(Type.Unknown(), {
        minItems: 1,
        maxItems: 100000,
        description: 'Only these _ids (Extended JSON values); those the collection no longer has are sent as deletes.',
      }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 200, description: 'Kept with the snapshot, e.g. "dlq replay".' })),
  },
  { additionalProperties: false },
);

const SnapshotIdParams = Type.Object({ name: Type.String({ description: 'Connector name' }), id: Type.String({ description: 'Snapshot id' }) });

/**
 * Incremental snapshots of a source connector: read a collection again, or part of it, while the
 * stream keeps flowing. Any worker of a cluster answers: the requests live with the source
 * (mongodb-source: `snapshot.signal.collection`), where the connector's tasks pick them up.
 */
export const snapshotsPlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, { herder }) => {
  app.post(
    '/connectors/:name/snapshots',
    {
      schema: {
        summary: 'Start an incremental snapshot',
        description:
          'Reads a collection again, or the documents matching `filter`, or the listed `ids`, in chunks while the stream goes on. Each chunk is dated by the cluster time of its read, so a sink that applies changes by position (postgres-sink) keeps the newer of a chunk and a change. Progress survives restarts; with tasks.max > 1 each task reads its share. 400 for a connector that does not support it or a bad request.',
        tags: ['snapshots'],
        params: ConnectorNameParams,
        body: Request,
        response: { 201: Snapshot, ...errorResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const info = await herder.startSnapshot(request.params.name, request.body as SnapshotRequest);
      return reply.code(201).send(info);
    },
  );

  app.get(
    '/connectors/:name/snapshots',
    {
      schema: {
        summary: 'List incremental snapshots',
        description: 'The newest 100 snapshots of the connector with their progress per task: documents, chunks, rate and the time left.',
        tags: ['snapshots'],
        params: ConnectorNameParams,
        response: { 200: Type.Object({ snapshots: Type.Array(Snapshot) }), ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => ({ snapshots: await herder.listSnapshots(request.params.name) }),
  );

  app.get(
    '/connectors/:name/snapshots/:id',
    {
      schema: {
        summary: 'Get an incremental snapshot',
        tags: ['snapshots'],
        params: SnapshotIdParams,
        response: { 200: Snapshot, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      const found = (await herder.listSnapshots(request.params.name)).find((s) => s.id === request.params.id);
      if (!found) throw new NotFoundError(`connector ${request.params.name} has no snapshot ${request.params.id}`);
      return found;
    },
  );

  app.delete(
    '/connectors/:name/snapshots/:id',
    {
      schema: {
        summary: 'Cancel an incremental snapshot',
        description: 'The tasks stop reading it within snapshot.signal.interval.ms; what was read stays read.',
        tags: ['snapshots'],
        params: SnapshotIdParams,
        response: { 200: Snapshot, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => herder.cancelSnapshot(request.params.name, request.params.id),
  );
};
