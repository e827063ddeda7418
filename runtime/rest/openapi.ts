import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { ERROR_CATALOGUE } from '../errors.js';

/**
 * @fastify/swagger options: OpenAPI 3.0 built from the route schemas. Shared schemas keep their
 * `$id` as component name, so the error body is `#/components/schemas/ErrorBody`. The error
 * catalogue is also published at the top level (`x-error-catalogue`) for client generators
 * that ignore schema extensions.
 */
export function swaggerOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'conflux',
        description:
          "REST control plane of a conflux worker. Paths and bodies follow Kafka Connect's REST API; errors are { error_code, message } plus a catalogue code.",
        version,
        license: { name: 'Apache-2.0' },
      },
      // Relative: requests go to the worker that served the document, whatever its address.
      servers: [{ url: '/', description: 'The worker serving this document (default http://127.0.0.1:8083)' }],
      tags: [
        { name: 'worker', description: 'Worker information' },
        { name: 'connectors', description: 'Connector lifecycle, config, status and tasks' },
        { name: 'offsets', description: 'Connector offsets (KIP-875)' },
        { name: 'dead-letters', description: "A connector's dead-letter topic, read back" },
        { name: 'connector-plugins', description: 'Installed plugins and config validation' },
        { name: 'admin', description: 'Run-time log levels' },
        { name: 'health', description: 'Liveness and dependencies' },
        { name: 'metrics', description: 'Prometheus metrics' },
        { name: 'docs', description: 'This API description' },
      ],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'rest.auth.token, when the worker sets one' } },
      },
      security: [{ bearerAuth: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`),
    },
    transformObject: (doc) => {
      const spec = 'openapiObject' in doc ? doc.openapiObject : doc.swaggerObject;
      // A JSON round trip unshares objects that several routes reuse (tags, schemas), so the YAML
      // has no anchors/aliases, which some OpenAPI tools do not resolve.
      return JSON.parse(
        JSON.stringify({
          ...spec,
          'x-error-catalogue': ERROR_CATALOGUE.map(({ code, status, kind, next, description }) => ({ code, status, kind, next, description })),
        }),
      ) as typeof spec;
    },
  };
}
