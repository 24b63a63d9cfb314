// Pipelines written elsewhere, in a real browser against a real server: an
// Argo workflow with an approval gate resumed from the run page, a KFP
// pipeline whose Kubernetes settings are shown as not applied here, and
// Argo workflow templates saved, edited and deleted on their page.
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
  // The gate's supplied output is asked for, among its enum, its default chosen.
  const answer = page.getByTestId('supplied-output').locator('select');
  assert.equal(await answer.inputValue(), 'NO');
  await answer.selectOption('YES');
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

const TEMPLATE = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greetings-e2e
spec:
  templates:
  - name: hello
    inputs:
      parameters:
      - name: n
    container:
      image: alpine:3.20
      command: [echo, "hello {{inputs.parameters.n}}"]
`;

test('workflow templates are saved, refused with a reason, edited and deleted on their page', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/workflow-templates?ns=default`);
  await waitLive(page);
  await page.getByText('No workflow templates').waitFor();
  const editor = page.getByLabel('Template YAML');
  await editor.fill(TEMPLATE);
  await page.getByRole('button', { name: 'Save' }).click();
  const table = page.getByTestId('templates-table');
  await table.getByRole('row').filter({ hasText: 'greetings-e2e' }).filter({ hasText: 'hello' }).waitFor();
  // A second save of the same name is refused unless it replaces.
  await editor.fill(TEMPLATE);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('template-error').getByText(/greetings-e2e/).waitFor();
  // A broken template is refused naming the problem; nothing is stored.
  await editor.fill(TEMPLATE.replace('name: hello', 'name: "bad name!"'));
  await page.getByLabel('Replace the template of the same name').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('template-error').getByText(/bad name!/).waitFor();
  await table.getByRole('row').filter({ hasText: 'hello' }).waitFor();
  // Edit opens it as YAML; saving replaces it.
  await table.getByRole('link', { name: 'Edit' }).click();
  await page.waitForURL(/edit=greetings-e2e/);
  await waitLive(page);
  await page.waitForFunction(() => document.querySelector('textarea[name=text]')?.value.includes('hello {{inputs.parameters.n}}'));
  await page.getByLabel('Template YAML').fill(TEMPLATE.replace('name: hello', 'name: hi'));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('templates-table').getByRole('row').filter({ hasText: 'greetings-e2e' }).filter({ hasText: 'hi' }).waitFor();
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(outputDir, `workflow-templates-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1360, height: 860 });
  // The Argo API sees what the page saved.
  const listed = await (await fetch(`${server.url}/api/v1/workflow-templates/default`)).json();
  assert.deepEqual(listed.items.map((t) => t.spec.templates[0].name), ['hi']);
  await page.getByTestId('templates-table').getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No workflow templates').waitFor();
  // The two refusals answer 409 and 400, which the browser logs; nothing else.
  assert.deepEqual(problems.filter((p) => !/status of (409|400)/.test(p)), []);
  assert.equal(problems.length, 2, problems.join('\n'));
  await page.close();
});
