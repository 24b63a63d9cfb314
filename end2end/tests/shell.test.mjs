// The app shell in a real browser against a real server: hydration, the
// namespace selector, and live events over SSE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir } from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  assert.equal(code, 0, `graceful shutdown on SIGTERM:\n${server.log.join('')}`);
});

async function createNamespace(name) {
  const res = await fetch(`${server.url}/api/namespaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 201, await res.text());
}

test('the home page hydrates: navigation happens in the page, without a reload', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/`);
  await waitLive(page);
  await page.evaluate(() => { window.__notReloaded = true; });
  await page.getByRole('link', { name: 'Activity', exact: true }).first().click();
  await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/activity');
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'client-side navigation kept the page');
  await page.screenshot({ path: path.join(outputDir, 'activity.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the namespace selector changes ?ns= and the page follows it', async () => {
  await createNamespace('team-a');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/pipelines?ns=default`);
  await waitLive(page);
  await page.getByLabel('Namespace', { exact: true }).selectOption('team-a');
  await page.waitForURL((url) => url.searchParams.get('ns') === 'team-a');
  assert.equal(new URL(page.url()).pathname, '/pipelines');
  await page.getByText('No pipelines in team-a').waitFor();
  // Links keep the namespace.
  const home = await page.getByRole('link', { name: 'Home', exact: true }).getAttribute('href');
  assert.equal(home, '/?ns=team-a');
  await page.screenshot({ path: path.join(outputDir, 'pipelines-team-a.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a committed change shows up on the home page live, without a reload', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/?ns=default`);
  await waitLive(page);
  await page.evaluate(() => { window.__notReloaded = true; });
  await createNamespace('live-event-check');
  const feed = page.getByTestId('activity-feed');
  await feed.getByText('Namespace live-event-check created').waitFor();
  // The selector learned about the new namespace from the same event.
  await page.locator('select[aria-label=Namespace] option[value=live-event-check]').waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => window.__notReloaded), true);
  await page.screenshot({ path: path.join(outputDir, 'home-live.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown path shows the 404 page with status 404', async () => {
  const { page, problems } = await openPage(browser);
  const response = await page.goto(`${server.url}/no/such/page`);
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.screenshot({ path: path.join(outputDir, 'not-found.png') });
  // The browser reports the 404 document itself as a console error; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  await page.close();
});

test('an invalid ?ns= is named on the page and the default namespace is shown', async () => {
  const { page } = await openPage(browser);
  await page.goto(`${server.url}/?ns=${encodeURIComponent('<script>alert(1)</script>')}`);
  await page.getByRole('status').filter({ hasText: 'is not a valid namespace name' }).waitFor();
  assert.equal(await page.getByTestId('current-namespace').textContent(), 'default');
  assert.equal(await page.locator('script:has-text("alert(1)")').count(), 0, 'hostile text is escaped');
  await page.close();
});

test('hashed assets are cached forever and served brotli-compressed', async () => {
  const html = await (await fetch(`${server.url}/`)).text();
  const href = /href="(\/pkg\/ferroflow\.[0-9a-f]+\.css)"/.exec(html)?.[1];
  assert.ok(href, 'stylesheet link with a content hash');
  const res = await fetch(`${server.url}${href}`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(res.headers.get('content-encoding'), 'br');
});
