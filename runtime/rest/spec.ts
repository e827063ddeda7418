import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStandaloneHerder } from '../herder/create-herder.js';
import { validateWorkerConfig } from '../config/worker-schema.js';
import { LogManager } from '../observability/logging.js';
import type { PluginRegistry } from '../worker/plugin-registry.js';
import { buildApp } from './app.js';

const NO_PLUGINS: PluginRegistry = { connectors: {}, transforms: {}, predicates: {} };

/**
 * Renders the OpenAPI document (YAML) from the route schemas. The worker behind the app is never
 * started: creating its Kafka client opens no connection, so this runs without any service.
 * The document does not depend on the installed plugins (their keys are served at run time by
 * `GET /connector-plugins/:plugin/config`), so it is the same on every machine.
 */
export async function renderOpenApiYaml(): Promise<string> {
  const validated = validateWorkerConfig(
    {
      'worker.id': 'openapi',
      'bootstrap.servers': '127.0.0.1:1',
      'offset.storage.file.filename': join(tmpdir(), 'conflux-openapi-unused-offsets.json'),
    },
    'openapi',
  );
  if (!validated.ok) throw new Error(`internal worker config is invalid: ${JSON.stringify(validated.errors)}`);
  const logs = new LogManager({ level: 'silent' });
  const herder = createStandaloneHerder(validated.config, NO_PLUGINS, { logs, env: {} });
  const app = buildApp({ herder, logs });
  try {
    await app.ready();
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
  }
}
