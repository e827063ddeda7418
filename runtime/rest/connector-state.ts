import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { statusView, type RouteContext } from './context.js';
import { ConnectorNameParams, ConnectorStatusSchema, TaskId, TaskStatusSchema, emptyResponse, errorResponses, QueryBoolean, queryFlag } from './schemas.js';

const tags = ['connectors'];
const accepted = emptyResponse('Accepted');
const TaskParams = Type.Object({ name: Type.String({ description: 'Connector name' }), id: Type.Integer({ minimum: 0, description: 'Task id' }) });

/** Status, lifecycle (restart, pause, resume, stop), tasks and topics of one connector. */
export const connectorStatePlugin: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { herder, secrets } = ctx;

  app.get(
    '/connectors/:name/status',
    {
      schema: {
        summary: 'Get connector status',
        description: 'Observed state of the connector and each task, with the failure trace of FAILED ones.',
        tags,
        params: ConnectorNameParams,
        response: { 200: ConnectorStatusSchema, ...errorResponses(404) },
      },
    },
    async (request) => statusView(ctx, request.params.name),
  );

  app.post(
    '/connectors/:name/restart',
    {
      schema: {
        summary: 'Restart a connector',
        description:
          'Without flags restarts the connector only (204). includeTasks also restarts its tasks and onlyFailed limits the restart to FAILED instances; then 202 with the status.',
        tags,
        params: ConnectorNameParams,
        querystring: Type.Object({
          includeTasks: QueryBoolean(false),
          onlyFailed: QueryBoolean(false),
        }),
        response: { 202: ConnectorStatusSchema, 204: emptyResponse('Connector restarted'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const includeTasks = queryFlag(request.query.includeTasks);
      const onlyFailed = queryFlag(request.query.onlyFailed);
      const { name } = request.params;
      await herder.restart(name, { includeTasks, onlyFailed });
      if (!includeTasks && !onlyFailed) return reply.status(204).send();
      return reply.status(202).send(statusView(ctx, name));
    },
  );

  const lifecycle = [
    ['pause', 'Pause a connector', 'Tasks stop processing but keep their resources; resume continues where they were.', (n: string) => herder.pause(n)],
    ['resume', 'Resume a connector', 'Resumes a PAUSED or STOPPED connector.', (n: string) => herder.resume(n)],
    [
      'stop',
      'Stop a connector',
      'Shuts the tasks down (offsets committed) but keeps the config; required before changing offsets.',
      (n: string) => herder.stopConnector(n),
    ],
  ] as const;
  for (const [action, summary, description, run] of lifecycle) {
    app.put(
      `/connectors/:name/${action}`,
      { schema: { summary, description, tags, params: ConnectorNameParams, response: { 202: accepted, ...errorResponses(404) } } },
      async (request, reply) => {
        await run(request.params.name);
        return reply.status(202).send();
      },
    );
  }

  app.get(
    '/connectors/:name/tasks',
    {
      schema: {
        summary: 'List tasks',
        description: 'Each task with the config it runs with: placeholders of the connector config as written, secret values hidden.',
        tags,
        params: ConnectorNameParams,
        response: { 200: Type.Array(Type.Object({ id: TaskId, config: Type.Unknown() })), ...errorResponses(404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const raw = herder.config(name);
      const values = secrets.secretValues(raw);
      return herder
        .taskConfigs(name)
        .map((t) => ({ id: t.id, config: secrets.redactDeep(secrets.withPlaceholders(t.config, raw), values, raw['connector.class']) }));
    },
  );

  app.get(
    '/connectors/:name/tasks/:id/status',
    {
      schema: { summary: 'Get task status', tags, params: TaskParams, response: { 200: TaskStatusSchema, ...errorResponses(404) } },
    },
    async (request) => {
      const { name, id } = request.params;
      const task = herder.taskStatus(name, id);
      return task.trace ? { ...task, trace: secrets.scrub(task.trace, secrets.secretValues(herder.config(name))) } : task;
    },
  );

  app.post(
    '/connectors/:name/tasks/:id/restart',
    {
      schema: {
        summary: 'Restart a task',
        tags,
        params: TaskParams,
        response: { 204: emptyResponse('Task restarted'), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await herder.restartTask(request.params.name, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/connectors/:name/topics',
    {
      schema: {
        summary: 'Get connector topics',
        description:
          'Topics the connector reads from (sink) or writes to (source), as far as its config names them. A topic name that comes from a ${env:..} or ${file:..} placeholder is shown as [hidden].',
        tags,
        params: ConnectorNameParams,
        response: { 200: Type.Record(Type.String(), Type.Object({ topics: Type.Array(Type.String()) })), ...errorResponses(404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      return { [name]: { topics: secrets.hideResolved(herder.topics(name), herder.config(name)) } };
    },
  );
};
