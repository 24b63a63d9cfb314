// Pipelines and runs in a real browser against a real server: upload
// (refused and accepted), start a run from the generated form, watch its
// DAG turn green without reloading, read a step's log, download an
// artifact, retry a failed run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir, pythonRuntime, root } from '../harness.mjs';

let server;
let browser;
const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-files-'));

before(async () => {
  server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

/** Uploads `file` through the dashboard's form; lands on the pipeline page or back on the form. */
async function upload(page, file, name = '') {
  await page.locator('[data-testid=upload-form] input[type=file]').first().setInputFiles(file);
  if (name) await page.locator('[data-testid=upload-form] input[name=name]').first().fill(name);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Upload', exact: true }).click()]);
}

/** Waits until `count` DAG nodes are in `state`. */
async function waitForNodes(page, state, count) {
  try {
    await page.waitForFunction(
      ([state, count]) => document.querySelectorAll(`[data-testid=dag] .dag-node--${state}`).length === count,
      [state, count],
      { timeout: 90_000 },
    );
  } catch (e) {
    await page.screenshot({ path: path.join(outputDir, `timeout-waiting-for-${state}.png`), fullPage: true });
    throw e;
  }
}

test('a pipeline that does not validate is refused next to the file, naming the task and field', async () => {
  const broken = path.join(scratch, 'broken.yaml');
  writeFileSync(broken, 'pipelineInfo: {name: broken}\nroot:\n  dag:\n    tasks:\n      a: {componentRef: {name: nowhere}}\n');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/pipelines?ns=default`);
  await upload(page, broken);
  const error = page.getByTestId('upload-error');
  await error.waitFor();
  const text = await error.textContent();
  assert.match(text, /broken\.yaml/);
  assert.match(text, /task "a": componentRef\.name: unknown component "nowhere"/);
  await page.getByText('No pipelines').waitFor();
  await page.screenshot({ path: path.join(outputDir, 'pipelines-upload-refused.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('upload, run with parameters, watch the DAG turn green live, read a log, download an artifact', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/pipelines?ns=default`);
  await upload(page, path.join(root, 'examples/kfp/artifacts.yaml'), 'artifacts-e2e');
  await page.getByRole('heading', { name: 'artifacts-e2e', level: 1 }).waitFor();
  assert.equal(await page.locator('[data-testid=dag] .dag-node').count(), 3, 'the spec graph has its three steps');
  await page.screenshot({ path: path.join(outputDir, 'pipeline-detail.png'), fullPage: true });

  await waitLive(page);
  await page.locator('[data-parameter=rows] input').fill('7');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+\?ns=default/);
  await waitLive(page);
  await page.evaluate(() => { window.__notReloaded = true; });
  await waitForNodes(page, 'succeeded', 3);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'states arrived without a reload');
  await page.screenshot({ path: path.join(outputDir, 'run-succeeded.png'), fullPage: true });

  await page.getByTestId('task-row').filter({ hasText: 'count-lines' }).getByRole('link').click();
  const panel = page.getByTestId('task-panel');
  await panel.getByTestId('log').getByText(/^7 /).waitFor();
  await page.screenshot({ path: path.join(outputDir, 'run-task-log.png') });

  await panel.getByRole('link', { name: 'Close the task panel' }).click();
  await panel.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Open make-data' }).click();
  const link = panel.getByTestId('artifacts').getByRole('link', { name: 'data' });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = path.join(scratch, 'data.txt');
  await download.saveAs(saved);
  assert.equal(readFileSync(saved, 'utf8').trim().split('\n').length, 7, 'the dataset has the 7 rows asked for');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a failed run is retried from the page and succeeds, keeping what had succeeded', async () => {
  const marker = path.join(scratch, 'failed-once');
  const workflow = path.join(scratch, 'flaky.yaml');
  writeFileSync(workflow, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: flaky-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: first, template: ok}
      - {name: second, template: fails-once, dependencies: [first]}
  - name: ok
    container: {image: alpine, command: ["true"]}
  - name: fails-once
    container: {image: alpine, command: [sh, -c, "test -e ${marker} || { touch ${marker}; echo failing on purpose >&2; exit 3; }"]}
`);
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/pipelines?ns=default`);
  await upload(page, workflow, 'flaky');
  await waitLive(page);
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\//);
  await waitLive(page);
  await waitForNodes(page, 'failed', 1);
  assert.equal(await page.locator('[data-testid=dag] .dag-node').count(), 2, 'the entrypoint DAG is opened: its two steps show');
  const retry = page.getByTestId('retry');
  await retry.waitFor();
  await page.screenshot({ path: path.join(outputDir, 'run-failed.png'), fullPage: true });
  await retry.click();
  await waitForNodes(page, 'succeeded', 2);
  const first = page.getByTestId('task-row').filter({ hasText: 'first' });
  assert.equal(await first.locator('td').nth(2).textContent(), '1', 'the task that had succeeded ran once');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the pipeline page shows the spec as uploaded and its description, and confirms a new version', async () => {
  const first = path.join(scratch, 'described.yaml');
  const yaml = `# Says hello, then counts.
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: described-
  annotations:
    workflows.argoproj.io/description: Greets the team, then counts to three.
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: hello, template: say}
  - name: say
    container: {image: alpine, command: [echo, hello]}  # the first step
`;
  writeFileSync(first, yaml);
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/pipelines?ns=default`);
  await upload(page, first, 'described');
  await page.getByRole('heading', { name: 'described', level: 1 }).waitFor();
  await waitLive(page);
  assert.equal(await page.getByTestId('pipeline-description').textContent(), 'Greets the team, then counts to three.');
  assert.equal(await page.getByTestId('spec').textContent(), yaml, 'the spec reads as it was uploaded, comments kept');
  assert.match(await page.getByTestId('shown-version').textContent(), /version described \(the latest\)/);

  // A new version from the page: confirmed, and the page says which version it shows.
  const second = path.join(scratch, 'described-v2.yaml');
  writeFileSync(second, yaml.replace('echo, hello', 'echo, hi'));
  await page.locator('[data-testid=upload-form] input[name=name]').first().fill('v2');
  await page.locator('[data-testid=upload-form] input[type=file]').first().setInputFiles(second);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Upload version' }).click()]);
  await waitLive(page);
  assert.match(await page.getByTestId('version-uploaded').textContent(), /Version v2 was added: the graph and the run form below use it/);
  assert.match(await page.getByTestId('shown-version').textContent(), /version v2 \(the latest\)/);
  assert.match(await page.getByTestId('spec').textContent(), /echo, hi/);
  await page.screenshot({ path: path.join(outputDir, 'pipeline-new-version.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
