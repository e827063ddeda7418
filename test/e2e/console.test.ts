/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against a worker
 * running the shipped shop pipeline on the local services, with a REST token: the console asks
 * for it and shows nothing else, then lists the connectors, charts their throughput while the
 * generator writes, pauses and resumes the orders sink, shows a dead-lettered order with its
 * rule, and puts the API's error for a bad value next to its key.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import type { Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../runtime/rest/console.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload } from '../helpers/shop-workload.js';

t.setTimeout(6 * 60_000);

const TOKEN = 'console-e2e-token-0123456789';
/** Where the test saves its screenshot; the README shows the committed one (docs/images/console.png). */
const SCREENSHOT = process.env.CONFLUX_CONSOLE_SCREENSHOT ?? '.tap/console.png';

interface DeadLetterAnswer {
  groups: Array<{ rule: string; count: number }>;
}

const legend = (page: Page, chart: string, series: string) => page.locator(`figure[data-chart="${chart}"] [data-series="${series}"]`);
const lastValue = async (page: Page, chart: string, series: string) => Number((await legend(page, chart, series).getAttribute('data-last')) || 'NaN');

t.test('the web console on the shop pipeline: token, overview, live charts, pause and resume, dead letters, form errors', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'ui', token: TOKEN });
  const { names, worker } = env;
  await worker.start();
  await runWorkload(env.db, { seed: 11, customers: 40, orders: 120, changes: 100, invalidRatio: 0.1 });

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const external: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // The API's 400 and 401 answers are expected here (a bad form value, a wrong token); the browser logs them.
    // (5xx answers are reported with their URL by the response handler below.)
    if (msg.type() === 'error' && !/status of (400|401|5\d\d)/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(worker.url) && !request.url().startsWith('data:')) external.push(request.url());
  });

  await t.test('without the token the console asks for it and shows nothing else', async (t) => {
    const response = await page.goto(`${worker.url}/ui/`);
    t.equal(response?.status(), 200, 'the console page loads without the token');
    t.equal(response?.headers()['content-security-policy'], CONSOLE_CSP, 'with the strict Content-Security-Policy');
    await page.locator('form.token').waitFor({ timeout: 30_000 });
    t.equal(await page.locator('#nav').isVisible(), false, 'no navigation');
    const text = await page.locator('body').innerText();
    for (const name of [names.source, names.ordersSink, names.customersSink]) t.notOk(text.includes(name), `${name} is not shown`);
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('form.token button[type=submit]');
    await page.getByText('That token was refused.').waitFor({ timeout: 10_000 });
    t.pass('a wrong token is refused and the form stays');
    await page.fill('#token', TOKEN);
    await page.click('form.token button[type=submit]');
    await page.locator('table.connectors').waitFor({ timeout: 10_000 });
    t.pass('the right token opens the overview');
  });

  await t.test('the overview lists the three shipped connectors RUNNING', async (t) => {
    for (const name of [names.source, names.customersSink, names.ordersSink]) {
      const row = page.locator(`tr[data-connector="${name}"]`);
      await row.and(page.locator('[data-state="RUNNING"]')).waitFor({ timeout: 30_000 });
      t.match(await row.innerText(), /RUNNING/, `${name} RUNNING, with its tasks`);
      t.match(
        await row.locator('.task').first().innerText(),
        new RegExp(`#0 RUNNING on ${(await worker.status(name)).tasks[0]!.worker_id}`),
        `${name}: task 0 and its worker`,
      );
    }
  });

  await page.click(`a[href="#/connectors/${encodeURIComponent(names.ordersSink)}"]`);
  await page.locator('figure[data-chart="throughput"]').waitFor({ timeout: 30_000 });

  await t.test('the throughput chart shows non-zero values that change while the generator writes', async (t) => {
    const writing = runWorkload(env.db, { seed: 12, customers: 0, orders: 0, changes: 600, invalidRatio: 0.05, rate: 40 });
    const seen = new Set<number>();
    await waitFor(
      'two different non-zero throughput values in the chart',
      async () => {
        const v = await lastValue(page, 'throughput', 'out');
        if (v > 0) seen.add(v);
        return seen.size >= 2 ? true : undefined;
      },
      60_000,
    );
    t.ok(seen.size >= 2, `records/s written: ${[...seen].map((v) => v.toFixed(1)).join(', ')}`);
    const [p50, p99] = await waitFor(
      'the latency chart to show p50 and p99',
      async () => {
        const values = [await lastValue(page, 'latency', 'p50'), await lastValue(page, 'latency', 'p99')];
        return values.every((v) => v > 0) ? (values as [number, number]) : undefined;
      },
      30_000,
    );
    t.ok(p50 > 0 && p99 >= p50 && p99 < 60, `end-to-end latency from the histogram: p50 ${p50} s, p99 ${p99} s`);
    await writing;
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  });

  await t.test('pausing the orders sink in the console turns it PAUSED and its lag grows; resuming drains it', async (t) => {
    await page.click('section.head button[data-action="pause"]');
    const paused = await worker.waitState(names.ordersSink, 'PAUSED');
    t.equal(paused.connector.state, 'PAUSED', 'the REST API says PAUSED');
    await page.locator('section.head .state-paused').first().waitFor({ timeout: 10_000 });
    await runWorkload(env.db, { seed: 13, customers: 0, orders: 0, changes: 150, invalidRatio: 0 });
    await waitFor('the lag chart to show records behind', async () => ((await lastValue(page, 'lag', 'lag')) > 0 ? true : undefined), 60_000);
    t.ok((await lastValue(page, 'lag', 'lag')) > 0, `lag while paused: ${await lastValue(page, 'lag', 'lag')} records`);
    // Resume from the keyboard: the buttons are reachable without a mouse.
    await page.locator('section.head button[data-action="resume"]').focus();
    await page.keyboard.press('Enter');
    await worker.waitState(names.ordersSink, 'RUNNING');
    await waitFor('the lag chart to come back to 0', async () => ((await lastValue(page, 'lag', 'lag')) === 0 ? true : undefined), 90_000);
    t.pass('RUNNING again and the lag drained to 0');
  });

  await t.test('a dead-lettered order appears in the dead-letter view with its rule', async (t) => {
    const rest = await worker.rest<DeadLetterAnswer>('GET', `/connectors/${names.ordersSink}/dead-letters?limit=5`);
    t.equal(rest.status, 200);
    t.ok(rest.body.groups.length > 0, 'the orders sink dead-lettered something');
    const rule = rest.body.groups[0]!.rule;
    await page.click('section.dlq button');
    await page.locator(`.dlq-records li[data-rule="${rule}"]`).first().waitFor({ timeout: 30_000 });
    t.match(await page.locator('.dlq-records li').first().innerText(), /key/, 'a record with its key');
    await page.selectOption('section.dlq select', rule);
    await waitFor('only that rule listed', async () => {
      const rules = await page.locator('.dlq-records li').evaluateAll((items) => items.map((li) => li.getAttribute('data-rule')));
      return rules.length > 0 && rules.every((r) => r === rule) ? true : undefined;
    });
    const details = page.locator('.dlq-records li details').first();
    await details.locator('summary').click();
    t.match(await details.innerText(), /conflux\.error\.stage/, 'its conflux.error.* headers are shown');

    // Replay: the rule's keys are read again from the source, whose page shows the snapshot.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`button[data-replay="${rule}"]`);
    await page.locator('#flash', { hasText: 'keys from' }).waitFor({ timeout: 30_000 });
    const said = await page.locator('#flash').innerText();
    const id = /snapshot ([0-9a-f]{24})/.exec(said)?.[1];
    t.ok(id, `the replay asked the source: ${said}`);
    await page.goto(`${worker.url}/ui/#/connectors/${encodeURIComponent(names.source)}`);
    const item = page.locator(`.snapshots li[data-snapshot="${id}"]`);
    await item.and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    t.match(await item.innerText(), /orders.*done.*documents/s, 'the source page shows the replay snapshot, done');
    await page.goto(`${worker.url}/ui/#/connectors/${encodeURIComponent(names.ordersSink)}`);
    await page.locator('section.dlq').waitFor();
  });

  await t.test('a bad value in the create form shows the API error next to its key', async (t) => {
    await page.click('a[href="#/new"]');
    await page.selectOption('#f-plugin', 'postgres-sink');
    await page.locator('[data-field="tasks.max"] input').waitFor();
    await page.fill('#f-name', 'console-bad-value');
    await page.fill('[data-field="tasks.max"] input', 'many');
    await page.fill('[data-field="topics"] input', 'console-topic');
    await page.click('form.editor button[type=submit]');
    const slot = page.locator('.field-error[data-for="tasks.max"]');
    await slot.and(page.locator(':not(:empty)')).waitFor({ timeout: 10_000 });
    const direct = await worker.rest<{ errors: Array<{ key: string; message: string }> }>('POST', '/connectors', {
      name: 'console-bad-value',
      config: { 'connector.class': 'postgres-sink', 'tasks.max': 'many', topics: 'console-topic' },
    });
    t.equal(direct.status, 400);
    const expected = direct.body.errors.find((e) => e.key === 'tasks.max')?.message;
    t.ok(expected, 'the API names tasks.max');
    t.equal(await slot.innerText(), expected, 'the console shows that message next to tasks.max');
    t.equal((await worker.rest('GET', '/connectors/console-bad-value')).status, 404, 'nothing was created');
  });

  await t.test('editing a config in the form changes it, placeholders kept as written', async (t) => {
    await page.goto(`${worker.url}/ui/#/connectors/${encodeURIComponent(names.ordersSink)}/edit`);
    const input = page.locator('[data-field="batch.max.records"] input');
    await input.waitFor({ timeout: 10_000 });
    t.equal(await page.locator('#f-connection-url').inputValue(), '${env:DATABASE_URL}', 'the placeholder is shown, not its value');
    await input.fill('4321');
    await page.click('form.editor button[type=submit]');
    await page.locator('section.head').waitFor({ timeout: 10_000 });
    const config = await worker.rest<Record<string, string>>('GET', `/connectors/${names.ordersSink}/config`);
    t.equal(config.body['batch.max.records'], '4321', 'the new value is stored');
    t.equal(config.body['connection.url'], '${env:DATABASE_URL}', 'the placeholder is unchanged');
    t.equal(config.body['transforms.enrich.type'], 'EnrichCustomer', 'keys outside the plugin schema are kept');
    await worker.waitState(names.ordersSink, 'RUNNING');
  });

  await t.test('offsets: shown per partition, reset only while STOPPED and after a confirmation', async (t) => {
    await page.goto(`${worker.url}/ui/#/connectors/${encodeURIComponent(names.ordersSink)}`);
    await page.locator('.offset-table tbody tr code').first().waitFor({ timeout: 30_000 });
    t.equal(await page.locator('section.offsets button.danger').count(), 0, 'no reset while RUNNING');
    const stored = await worker.rest<{ offsets: unknown[] }>('GET', `/connectors/${names.ordersSink}/offsets`);
    t.equal(await page.locator('.offset-table tbody tr').count(), stored.body.offsets.length, 'one row per stored partition');
    await page.click('section.head button[data-action="stop"]');
    await waitFor('the orders sink STOPPED', async () => ((await worker.status(names.ordersSink)).connector.state === 'STOPPED' ? true : undefined), 60_000);
    const reset = page.locator('section.offsets button.danger');
    await reset.waitFor({ timeout: 30_000 });
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await reset.click();
    await waitFor('the confirmation', async () => (dialogs.length > 0 ? true : undefined), 10_000);
    t.match(dialogs[0], /Reset every offset/, 'a confirmation is asked');
    t.same(
      (await worker.rest<{ offsets: unknown[] }>('GET', `/connectors/${names.ordersSink}/offsets`)).body.offsets.length,
      stored.body.offsets.length,
      'dismissed: nothing reset',
    );
    page.once('dialog', (dialog) => void dialog.accept());
    await reset.click();
    await waitFor(
      'the offsets to be reset',
      async () => ((await worker.rest<{ offsets: unknown[] }>('GET', `/connectors/${names.ordersSink}/offsets`)).body.offsets.length === 0 ? true : undefined),
      10_000,
    );
    t.pass('accepted: the stored offsets are gone');
  });

  await t.test('readable at 390 px wide: nothing but the tables scrolls sideways', async (t) => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${worker.url}/ui/#/`);
    await page.locator('table.connectors').waitFor({ timeout: 10_000 });
    // Evaluated in the page, where `document` exists; the string keeps the DOM types out of the Node build.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    t.ok(overflow <= 0, `the page is no wider than the screen (${overflow} px over)`);
  });

  t.same(problems, [], 'no script errors and no CSP violations');
  t.same(external, [], 'nothing loaded from outside the worker');
});
