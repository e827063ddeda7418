import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { buildApp } from '../../runtime/rest/app.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName } from '../helpers/services.js';

t.test('Swagger UI in a real browser: the operations are listed and "Try it out" runs GET /connectors', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(
    'browser-check',
    { 'connector.class': 'counting-source', topic: uniqueName('ui'), count: '0', 'value.converter': 'json' },
    'STOPPED',
  );
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const external: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(url) && !request.url().startsWith('data:')) external.push(request.url());
  });

  await page.goto(`${url}/docs`);
  const paths = page.locator('.opblock-summary-path');
  await paths.first().waitFor({ timeout: 30_000 });
  const post = page.locator('.opblock-post').filter({ has: page.locator('[data-path="/connectors"]') });
  const status = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/connectors/{name}/status"]') });
  t.equal(await post.count(), 1, 'POST /connectors is listed');
  t.equal(await status.count(), 1, 'GET /connectors/{name}/status is listed');

  const list = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/connectors"]') });
  await list.locator('.opblock-summary').first().click();
  await list.getByRole('button', { name: 'Try it out' }).click();
  await list.getByRole('button', { name: 'Execute' }).click();
  const code = list.locator('.live-responses-table .response .response-col_status').first();
  await code.waitFor({ timeout: 30_000 });
  t.equal((await code.innerText()).trim(), '200', 'the request ran and answered 200');
  t.match(await list.locator('.live-responses-table').first().innerText(), /browser-check/, 'the response lists the connector');
  t.same(external, [], 'the page loads nothing from outside the worker (no CDN)');
});

t.test('Swagger UI with a token: the page loads without it, calls answer 401 until Authorize is given the token', async (t) => {
  const token = 'e2e-token-for-swagger-ui';
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(
    'browser-auth-check',
    { 'connector.class': 'counting-source', topic: uniqueName('ui'), count: '0', 'value.converter': 'json' },
    'STOPPED',
  );
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }), authToken: token });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${url}/docs`);
  await page.locator('.opblock-summary-path').first().waitFor({ timeout: 30_000 });

  const list = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/connectors"]') });
  await list.locator('.opblock-summary').first().click();
  await list.getByRole('button', { name: 'Try it out' }).click();
  const execute = () => list.getByRole('button', { name: 'Execute' }).click();
  const status = list.locator('.live-responses-table .response .response-col_status').first();
  await execute();
  await status.waitFor({ timeout: 30_000 });
  t.equal((await status.innerText()).trim(), '401', 'without the token the call is refused');

  await page.locator('.auth-wrapper .authorize').click();
  await page.locator('.modal-ux input').first().fill(token);
  await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
  await page.locator('.modal-ux .auth-btn-wrapper .btn-done').click();
  await list.getByRole('button', { name: 'Clear' }).click();
  await execute();
  await status.waitFor({ timeout: 30_000 });
  t.equal((await status.innerText()).trim(), '200', 'with the token from Authorize the call succeeds');
  t.match(await list.locator('.live-responses-table').first().innerText(), /browser-auth-check/, 'and lists the connector');
});
