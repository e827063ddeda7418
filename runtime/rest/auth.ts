import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether a request carries the token; both sides are hashed first so that the comparison is constant-time whatever the lengths. */
export function tokenCheck(token: string): (request: FastifyRequest) => boolean {
  const expected = digest(token);
  return (request) => {
    const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1] ?? ''), expected);
  };
}

/**
 * Requires `Authorization: Bearer <token>` on every request except reads that reveal nothing
 * about this worker: `GET /health`, which load balancers and orchestrators probe without
 * credentials (and which then answers with the overall status only), the API description
 * (`/docs`, Swagger UI, and `/openapi.json`, the content of the repository's openapi.yaml), so
 * that Swagger UI loads and its Authorize button then sends the token on the calls it makes, and
 * the web console's static files (`/ui/`), which ask for the token before they call anything.
 */
export function installBearerAuth(app: FastifyInstance, token: string): void {
  const authorized = tokenCheck(token);
  app.addHook('onRequest', async (request) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && isPublic(request.url.split('?')[0]!)) return;
    if (!authorized(request)) {
      throw new UnauthorizedError('A valid bearer token is required: send Authorization: Bearer <rest.auth.token>');
    }
  });
}

function isPublic(path: string): boolean {
  return path === '/health' || path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/') || path === '/ui' || path.startsWith('/ui/');
}
