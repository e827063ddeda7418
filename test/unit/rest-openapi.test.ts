import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ERROR_CATALOGUE } from '../../runtime/errors.js';
import { renderOpenApiYaml } from '../../runtime/rest/index.js';
import { restHarness } from '../helpers/rest.js';

const committedPath = new URL('../../openapi.yaml', import.meta.url);

t.test('openapi.yaml is up to date with the route schemas', async (t) => {
  const committed = await readFile(committedPath, 'utf8').catch(() => '');
  const generated = await renderOpenApiYaml();
  t.ok(committed.length > 0, 'openapi.yaml exists at the repository root');
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    t.fail('openapi.yaml is out of date with the REST route schemas: run `npm run openapi` and commit the result', {
      firstDifferenceAtLine: line + 1,
      committed: a[line],
      generated: b[line],
    });
  } else {
    t.pass('openapi.yaml matches the generated document');
  }
});

t.test('every error catalogue code is documented in openapi.yaml', async (t) => {
  const committed = await readFile(committedPath, 'utf8');
  for (const entry of ERROR_CATALOGUE) t.match(committed, `- ${entry.code}`, `${entry.code} is in openapi.yaml`);
  t.match(committed, /^x-error-catalogue:/m, 'top-level catalogue');
});

type Operation = {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};

t.test('every operation has a summary, tags and the error body for its error codes', async (t) => {
  const { app } = await restHarness(t);
  const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, Operation>> };
  const expected = [
    'GET /',
    'GET /connectors',
    'POST /connectors',
    'GET /connectors/{name}',
    'DELETE /connectors/{name}',
    'GET /connectors/{name}/config',
    'PUT /connectors/{name}/config',
    'PATCH /connectors/{name}/config',
    'GET /connectors/{name}/status',
    'POST /connectors/{name}/restart',
    'PUT /connectors/{name}/pause',
    'PUT /connectors/{name}/resume',
    'PUT /connectors/{name}/stop',
    'GET /connectors/{name}/tasks',
    'GET /connectors/{name}/tasks/{id}/status',
    'POST /connectors/{name}/tasks/{id}/restart',
    'GET /connectors/{name}/offsets',
    'PATCH /connectors/{name}/offsets',
    'DELETE /connectors/{name}/offsets',
    'GET /connectors/{name}/dead-letters',
    'POST /connectors/{name}/dead-letters/replay',
    'POST /connectors/{name}/snapshots',
    'GET /connectors/{name}/snapshots',
    'GET /connectors/{name}/snapshots/{id}',
    'DELETE /connectors/{name}/snapshots/{id}',
    'GET /connectors/{name}/topics',
    'GET /connector-plugins',
    'GET /connector-plugins/{plugin}/config',
    'PUT /connector-plugins/{plugin}/config/validate',
    'GET /admin/loggers',
    'GET /admin/loggers/{name}',
    'PUT /admin/loggers/{name}',
    'GET /health',
    'GET /metrics',
    'GET /metrics/connectors',
    'GET /openapi.json',
  ];
  const found: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = `${method.toUpperCase()} ${path}`;
      found.push(id);
      t.ok(op.summary, `${id} has a summary`);
      t.ok(op.tags?.length, `${id} has tags`);
      const open = Array.isArray(op.security) && op.security.length === 0;
      t.equal(open, id === 'GET /health', `${id}: only /health is open`);
      if (!open) t.ok(op.responses['401'], `${id} documents 401`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || id === 'GET /health') continue;
        t.equal(response.content?.['application/json']?.schema.$ref, '#/components/schemas/ErrorBody', `${id} ${status} uses the error body`);
      }
    }
  }
  t.same(found.sort(), expected.sort(), 'every endpoint is documented, nothing else');
});
