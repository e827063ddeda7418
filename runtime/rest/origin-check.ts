import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../errors.js';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function hostName(hostHeader: string): string {
  // "[::1]:8083" -> "[::1]", "localhost:8083" -> "localhost"
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * Guards an API that has no token: a web page in the user's browser can reach a loopback port,
 * by a cross-origin request (CSRF: a `text/plain` POST needs no preflight) or by DNS rebinding
 * (a name of the attacker that resolves to 127.0.0.1, so the request is same-origin for the
 * browser). The first carries a foreign `Origin`, the second a foreign `Host`: both are refused
 * with 403. Non-browser clients (curl, the CLI) send no `Origin` and a loopback `Host`.
 */
export function installOriginCheck(app: FastifyInstance, extraHosts: readonly string[]): void {
  const allowed = new Set([...LOOPBACK_HOSTS, ...extraHosts.map(hostName)]);
  app.addHook('onRequest', async (request) => {
    const host = hostName(request.headers.host ?? '');
    if (!allowed.has(host)) {
      throw new ForbiddenError(`Host ${host || '(none)'} is not allowed: without rest.auth.token the API answers only to localhost and rest.allowed.hosts`);
    }
    const origin = request.headers.origin;
    if (origin === undefined) return;
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      originHost = '';
    }
    if (originHost !== (request.headers.host ?? '').trim().toLowerCase()) {
      throw new ForbiddenError('Cross-origin requests are refused: without rest.auth.token only same-origin pages may call the API');
    }
  });
}
