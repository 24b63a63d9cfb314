// What a new user meets in the first hour, in a real browser against a
// server started as `make run` starts it: Home lists what was just uploaded
// and run, live; activity links to what it names; unknown ids answer 404;
// the links kfp.Client prints open the right page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  startServer, launchBrowser, openPage, waitLive, outputDir, argoWorkflow, uploadPipeline, startRun,
} from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Home lists a just-uploaded pipeline and run, live, and activity links the run by its name', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/`);
  await waitLive(page);
  // Empty states offer the first action.
  await page.getByTestId('first-pipeline').waitFor();
  await page.getByTestId('first-notebook').waitFor();
  await page.screenshot({ path: path.join(outputDir, 'home-empty.png') });

  const pipeline = await uploadPipeline(server, 'first-steps', argoWorkflow('first-steps', [['a', []], ['b', ['a']]]));
  await page.getByTestId('recent-pipelines').getByRole('link', { name: 'first-steps' }).waitFor();
  const run = await startRun(server, pipeline, 'my first run');
  const row = page.getByTestId('recent-runs').locator('li', { hasText: 'my first run' });
  await row.waitFor();
  await row.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
  assert.equal(await row.getByRole('link').getAttribute('href'), `/runs/${run.run_id}?ns=default`);

  const finished = page.getByTestId('activity-feed').getByRole('link', { name: 'Run my first run finished: succeeded' });
  await finished.waitFor();
  assert.equal(await finished.getAttribute('href'), `/runs/${run.run_id}?ns=default`);
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(outputDir, `home-recent-${width}.png`), fullPage: true });
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown run id answers 404 with a way back to the runs', async () => {
  const res = await fetch(`${server.url}/runs/not-a-run`);
  assert.equal(res.status, 404);
  const { page } = await openPage(browser);
  await page.goto(`${server.url}/runs/not-a-run`);
  await page.getByRole('heading', { name: 'Run not found' }).waitFor();
  await page.getByRole('link', { name: 'All runs' }).click();
  await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
  await page.close();
});

test('the links kfp.Client prints open the page they name', async () => {
  const pipeline = await uploadPipeline(server, 'linked', argoWorkflow('linked', [['a', []]]));
  const run = await startRun(server, pipeline, 'linked run');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/#/runs/details/${run.run_id}`);
  await page.waitForURL((url) => url.pathname === `/runs/${run.run_id}`);
  await page.getByRole('heading', { name: 'linked run' }).waitFor();
  await page.goto(`${server.url}/#/pipelines/details/${pipeline.pipeline_id}`);
  await page.waitForURL((url) => url.pathname === `/pipelines/${pipeline.pipeline_id}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a namespace is created from the selector and switched to', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs?ns=default`);
  await waitLive(page);
  await page.getByTestId('new-namespace').click();
  await page.getByTestId('new-namespace-name').fill('default');
  await page.getByRole('button', { name: 'Create' }).click();
  assert.match(await page.getByTestId('new-namespace-problem').textContent(), /namespace default already exists/);
  await page.getByTestId('new-namespace-name').fill('team-b');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/runs\?ns=team-b$/);
  await page.getByText('No runs in team-b').waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Namespace' }).inputValue(), 'team-b');
  // A refused create answers 409, which the browser logs.
  assert.deepEqual(problems.filter((p) => !/status of 409/.test(p)), []);
  await page.close();
});

test('a failed task shows the exception it died of', async () => {
  const yaml = argoWorkflow('crashes', [['train', []]], {
    command: ['python3', '-c', "raise ValueError('learning rate 3 is too large')"],
  });
  const pipeline = await uploadPipeline(server, 'crashes', yaml);
  const run = await startRun(server, pipeline, 'crashing run');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs/${run.run_id}`);
  await waitLive(page);
  await page.getByText('ValueError: learning rate 3 is too large').first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(outputDir, 'run-failed-reason.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the run page says what the run came from and was given; a skip link leads to the content', async () => {
  const yaml = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: with-params-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: lr, value: "0.3"}, {name: n, value: "4"}]
  templates:
  - name: main
    inputs: {parameters: [{name: lr}, {name: n}]}
    container: {image: alpine, command: ["true"]}
`;
  const pipeline = await uploadPipeline(server, 'with-params', yaml);
  const run = await startRun(server, pipeline, 'tuned run');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs/${run.run_id}`);
  await waitLive(page);
  const overview = page.getByTestId('run-overview');
  await overview.getByRole('link', { name: 'with-params' }).waitFor();
  assert.match(await overview.innerText(), /Experiment\s+Default/);
  const parameters = overview.getByTestId('run-parameters');
  assert.match(await parameters.innerText(), /lr\s+0\.3/);
  assert.match(await parameters.innerText(), /n\s+4/);
  await page.screenshot({ path: path.join(outputDir, 'run-overview.png') });
  // The runs list names the version and experiment too.
  await page.goto(`${server.url}/runs`);
  const listed = page.getByTestId('run-row').filter({ hasText: 'tuned run' });
  assert.match(await listed.innerText(), /with-params · with-params\s+Default/);
  await page.goto(`${server.url}/runs/${run.run_id}`);
  await waitLive(page);

  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the colour theme follows the OS until one is picked, and is remembered', async () => {
  const { page, problems } = await openPage(browser);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${server.url}/runs?ns=default`);
  await waitLive(page);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByTestId('theme').selectOption('dark');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  const dark = await background();
  assert.notEqual(dark, light, 'the page turned dark');
  await page.reload();
  await waitLive(page);
  assert.equal(await background(), dark, 'remembered across a reload (rendered dark by the server)');
  assert.equal(await page.getByTestId('theme').inputValue(), 'dark');
  await page.screenshot({ path: path.join(outputDir, 'runs-dark.png') });
  await page.getByTestId('theme').selectOption('');
  assert.equal(await background(), light, 'back to the OS default');
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await background(), dark, 'which follows the OS');
  assert.deepEqual(problems, []);
  await page.close();
});
