// The rest of the run pages in a real browser against a real server: a
// pipeline dropped on the upload area, a log that grows on screen while
// its step runs, a recurring run described in words that fires and is
// disabled and deleted, a run cloned into the prefilled form, and the
// Artifacts page with a download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir, pythonRuntime, root, argoWorkflow } from '../harness.mjs';

let server;
let browser;
const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-more-'));

before(async () => {
  server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

/** An Argo workflow of one step, `step`, running `script` under sh. */
function workflow(name, script) {
  return argoWorkflow(name, [['step', []]], { command: ['sh', '-c', script] });
}

/** Drops a file with `text` named `name` on the upload area, as a person dragging it from their desktop. */
async function dropFile(page, name, text) {
  await page.locator('.upload__drop').first().evaluate((area, [name, text]) => {
    const files = new DataTransfer();
    files.items.add(new File([text], name, { type: 'application/yaml' }));
    area.dispatchEvent(new DragEvent('dragover', { dataTransfer: files, bubbles: true, cancelable: true }));
    area.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
  }, [name, text]);
}

/** Uploads `text` as `name` by dropping it, then submits; lands on the pipeline's page. */
async function dropAndUpload(page, name, text) {
  await page.goto(`${server.url}/pipelines?ns=default`);
  await waitLive(page);
  await dropFile(page, name, text);
  await page.getByTestId('dropped-file').getByText(name).waitFor();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Upload', exact: true }).click()]);
  await waitLive(page);
}

test('a dropped pipeline uploads, and a running step\'s log grows on screen until the step ends', async () => {
  const gate = path.join(scratch, 'let-it-finish');
  const { page, problems } = await openPage(browser);
  await dropAndUpload(page, 'tail.yaml',
    workflow('tail', `echo first-line; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second-line`));
  await page.getByRole('heading', { name: 'tail', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\//);
  await waitLive(page);
  await page.locator('[data-testid=dag] .dag-node--running').waitFor();
  await page.getByRole('link', { name: 'Open step' }).click();
  const log = page.getByTestId('task-panel').getByTestId('log');
  await log.getByText('first-line').waitFor();
  assert.equal(await log.getByText('second-line').count(), 0, 'the step is still waiting');
  await page.evaluate(() => { window.__notReloaded = true; });
  writeFileSync(gate, '');
  await log.getByText('second-line').waitFor();
  assert.equal(await log.getByText('first-line').count(), 1, 'no line shown twice');
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the log grew without a reload');
  await page.screenshot({ path: path.join(outputDir, 'run-log-tail.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a recurring run is described in words, fires, and is disabled and deleted', async () => {
  const { page, problems } = await openPage(browser);
  await dropAndUpload(page, 'tick.yaml', workflow('tick', 'echo tick'));
  await page.getByTestId('recurring').check();
  const schedule = page.getByTestId('schedule');
  await schedule.waitFor();
  const cron = schedule.locator('input[name="schedule[cron]"]');
  await cron.fill('0 0 9 * * 1-5');
  await schedule.getByTestId('cron-description').getByText('At 09:00, Monday through Friday (UTC)').waitFor();
  await cron.fill('0 61 * * *');
  await schedule.getByRole('alert').getByText(/Not a cron expression/).waitFor();
  await cron.fill('*/2 * * * * *');
  await schedule.getByTestId('cron-description').getByText('Every 2 seconds (UTC)').waitFor();
  await schedule.getByRole('checkbox', { name: /Catch up/ }).uncheck();
  await page.screenshot({ path: path.join(outputDir, 'recurring-form.png'), fullPage: true });
  await page.getByRole('button', { name: 'Create recurring run' }).click();
  await page.waitForURL(/\/recurring-runs\?ns=default/);
  await waitLive(page);
  const row = page.getByTestId('recurring-row').filter({ hasText: 'tick' });
  await row.getByTestId('schedule-words').getByText('Every 2 seconds (UTC)').waitFor();
  // It fires: the last-fired cell changes from "never" as the run starts (live, no reload).
  await row.locator('td').nth(4).filter({ hasNotText: 'never' }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(outputDir, 'recurring-runs.png'), fullPage: true });
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('disabled').waitFor();
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No recurring runs in default').waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test('a run is cloned into the prefilled form, and its artifacts are listed and downloaded', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/experiments?ns=default`);
  await waitLive(page);
  await page.getByRole('textbox', { name: 'Experiment name' }).fill('tuning');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('link', { name: 'tuning' }).waitFor();
  await dropAndUpload(page, 'artifacts.yaml', readFileSync(path.join(root, 'examples/kfp/artifacts.yaml'), 'utf8'));
  await page.locator('[data-parameter=rows] input').fill('5');
  await page.getByRole('combobox', { name: 'Experiment' }).selectOption({ label: 'tuning' });
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\//);
  await waitLive(page);
  await page.getByTestId('clone').click();
  await page.waitForURL(/clone=/);
  await page.locator('input[name=display_name][value="Clone of artifacts run"]').waitFor();
  assert.equal(await page.locator('[data-parameter=rows] input').inputValue(), '5', 'the cloned run\'s parameter');
  assert.equal(await page.getByRole('combobox', { name: 'Experiment' }).locator('option:checked').textContent(), 'tuning');
  await page.screenshot({ path: path.join(outputDir, 'run-clone-form.png'), fullPage: true });

  await page.goto(`${server.url}/runs?ns=default&state=SUCCEEDED`);
  await page.getByRole('link', { name: 'artifacts run' }).waitFor({ timeout: 90_000 });
  await page.goto(`${server.url}/artifacts?ns=default&type=system.Dataset`);
  await waitLive(page);
  const rows = page.getByTestId('artifact-row');
  assert.equal(await rows.count(), 1, 'one dataset');
  assert.match(await rows.first().textContent(), /data.*system\.Dataset.*artifacts run.*make-data/);
  await page.screenshot({ path: path.join(outputDir, 'artifacts.png'), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), rows.first().getByRole('link', { name: 'Download' }).click()]);
  const saved = path.join(scratch, 'data.txt');
  await download.saveAs(saved);
  assert.equal(readFileSync(saved, 'utf8').trim().split('\n').length, 5);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a wide run draws the window in view, and scrolling far draws the nodes there in their live state', async () => {
  const leaves = Array.from({ length: 400 }, (_, i) => [`leaf-${i}`, ['first']]);
  const wide = argoWorkflow('wide', [['first', []], ...leaves]);
  const { page, problems } = await openPage(browser);
  await dropAndUpload(page, 'wide.yaml', wide);
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\//);
  await page.goto(page.url()); // a fresh load: the server draws the first window
  await waitLive(page);
  const paths = () => page.locator('[data-testid=dag] .dag-node').evaluateAll((nodes) => nodes.map((n) => n.dataset.path));
  const first = await paths();
  assert.ok(first.length > 1 && first.length < 100, `${first.length} of 401 nodes drawn at first`);
  const viewport = page.locator('.dag__viewport');
  await viewport.evaluate((v) => { v.scrollLeft = v.scrollWidth; });
  await page.waitForFunction((first) => {
    const now = [...document.querySelectorAll('[data-testid=dag] .dag-node')].map((n) => n.dataset.path);
    return now.length > 0 && now.every((p) => !first.includes(p));
  }, first);
  const far = (await paths()).at(-1);
  const node = page.locator(`[data-testid=dag] .dag-node[data-path="${far}"]`);
  await page.locator(`[data-testid=dag] .dag-node--succeeded[data-path="${far}"]`).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(outputDir, 'run-wide-scrolled.png') });
  await node.click();
  await page.getByTestId('task-panel').getByRole('heading', { name: far.split('/').at(-1) }).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});
