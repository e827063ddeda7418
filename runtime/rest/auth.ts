import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Requires `Authorization: Bearer <token>` on every request except `GET /health`, which load
 * balancers and orchestrators probe without credentials. Both sides are hashed first so that the
 * comparison is constant-time whatever the lengths.
 */
export function installBearerAuth(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url.split('?')[0] === '/health') return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      throw new UnauthorizedError('A valid bearer token is required: send Authorization: Bearer <rest.auth.token>');
    }
  });
}
