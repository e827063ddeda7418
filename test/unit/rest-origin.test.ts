import t, { type Test } from 'tap';
import { restHarness, sourceConfig } from '../helpers/rest.js';

const TOKEN = 'a-long-enough-test-token-0123456789';
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

async function withConnector(t: Test, options: Parameters<typeof restHarness>[1] = {}) {
  const h = await restHarness(t, options);
  const headers = options.authToken ? { authorization: `Bearer ${options.authToken}` } : {};
  const created = await h.app.inject({ method: 'POST', url: '/connectors', headers, payload: { name: 'c', config: sourceConfig(), initial_state: 'STOPPED' } });
  t.equal(created.statusCode, 201);
  return h;
}

t.test('without a token, a DNS-rebinding request (foreign Host) is refused with 403', async (t) => {
  const { app } = await withConnector(t);
  for (const [method, url] of [
    ['POST', '/connectors/c/restart?includeTasks=true'],
    ['GET', '/connectors/c/config'],
    ['GET', '/connectors'],
  ] as const) {
    const res = await app.inject({ method, url, headers: { host: 'attacker.example:8083' } });
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.match(json(res.body), { error_code: 403, code: 'CONFLUX_ERR_FORBIDDEN', message: /Host attacker\.example is not allowed/ });
  }
  for (const host of ['localhost:8083', '127.0.0.1:8083', '[::1]:8083', 'LOCALHOST']) {
    t.equal((await app.inject({ url: '/connectors', headers: { host } })).statusCode, 200, `${host} is accepted`);
  }
});

t.test('without a token, a cross-site request (foreign Origin, text/plain POST) is refused with 403', async (t) => {
  const { app, worker } = await withConnector(t);
  const csrf = await app.inject({
    method: 'POST',
    url: '/connectors/c/restart?includeTasks=true',
    headers: { host: '127.0.0.1:8083', origin: 'https://attacker.example', 'content-type': 'text/plain' },
    payload: 'x',
  });
  t.equal(csrf.statusCode, 403);
  t.match(json(csrf.body), { code: 'CONFLUX_ERR_FORBIDDEN', message: /Cross-origin/ });
  const read = await app.inject({ url: '/connectors/c/config', headers: { host: '127.0.0.1:8083', origin: 'null' } });
  t.equal(read.statusCode, 403, 'an opaque origin is foreign too');
  t.equal(worker.status('c').connector.state, 'STOPPED', 'nothing happened');
  const sameOrigin = await app.inject({ url: '/connectors/c/config', headers: { host: '127.0.0.1:8083', origin: 'http://127.0.0.1:8083' } });
  t.equal(sameOrigin.statusCode, 200, 'a same-origin page (Swagger UI at /docs) still works');
});

t.test('rest.allowed.hosts widens the Host allow-list', async (t) => {
  const { app } = await withConnector(t, { allowedHosts: ['conflux.internal', '10.0.0.5:8083'] });
  t.equal((await app.inject({ url: '/connectors', headers: { host: 'conflux.internal:8083' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/connectors', headers: { host: '10.0.0.5' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/connectors', headers: { host: 'other.internal' } })).statusCode, 403);
});

t.test('with a token the Host is not checked (the token is what protects), and a foreign page cannot send it', async (t) => {
  const { app } = await withConnector(t, { authToken: TOKEN });
  const proxied = await app.inject({ url: '/connectors', headers: { host: 'conflux.example.com', authorization: `Bearer ${TOKEN}` } });
  t.equal(proxied.statusCode, 200);
  const anonymous = await app.inject({ method: 'POST', url: '/connectors/c/restart', headers: { origin: 'https://attacker.example' } });
  t.equal(anonymous.statusCode, 401);
});
