// Pipelines written elsewhere, in a real browser against a real server: an
// Argo workflow with an approval gate resumed from the run page, and a KFP
// pipeline whose Kubernetes settings are shown as not applied here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir, pythonRuntime, root } from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

async function upload(page, file, name) {
  await page.goto(`${server.url}/pipelines?ns=default`);
  await page.locator('[data-testid=upload-form] input[type=file]').first().setInputFiles(file);
  await page.locator('[data-testid=upload-form] input[name=name]').first().fill(name);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Upload', exact: true }).click()]);
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  await waitLive(page);
}

test('a suspended step waits on the run page until Resume is clicked', async () => {
  const { page, problems } = await openPage(browser);
  await upload(page, path.join(root, 'examples/argo/approval.yaml'), 'approval-e2e');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+\?ns=default/);
  await waitLive(page);
  // The gate turns running live; the page read then offers Resume.
  await page.getByTestId('task-row').filter({ hasText: 'approve' }).filter({ hasText: /running/i }).waitFor({ timeout: 60_000 });
  await page.reload();
  await waitLive(page);
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(outputDir, `run-suspended-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1360, height: 860 });
  assert.equal(await page.getByTestId('task-row').filter({ hasText: 'deploy' }).count(), 0, 'deploy waits for the gate');
  await page.getByTestId('resume').click();
  await page.getByTestId('task-row').filter({ hasText: 'deploy' }).filter({ hasText: /succeeded/i }).waitFor({ timeout: 60_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Kubernetes settings of a KFP pipeline are listed on the run page as not applied', async () => {
  const { page, problems } = await openPage(browser);
  await upload(page, path.join(root, 'examples/kfp/cluster_settings.yaml'), 'cluster-settings-e2e');
  await page.locator('[data-parameter=source_uri] input').fill('s3://bucket/data.csv');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+\?ns=default/);
  const notices = page.getByRole('list', { name: 'Not applied on this machine' });
  await notices.getByText(/task "read-text": Kubernetes settings \(configMapAsEnv, imagePullSecret, nodeSelector, pvcMount, secretAsEnv, tolerations\)/).waitFor();
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(outputDir, `run-notices-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1360, height: 860 });
  // The importer's URI scheme is refused by name once the run gets there.
  await waitLive(page);
  const importer = page.getByTestId('task-row').filter({ hasText: 'importer' });
  await importer.filter({ hasText: /failed/i }).waitFor({ timeout: 60_000 });
  await importer.getByRole('link').click();
  await page.getByTestId('task-panel').getByText('the s3:// scheme is not served on this machine').waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});
