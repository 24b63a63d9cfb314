// What a run shows about its tasks, in a real browser, for kfp pipelines
// written as users write them: inputs and outputs as tables (artifacts as
// download links, no server paths), scalar metrics as a table, a failed
// step's log opened on stderr where its exception is, the task panel as a
// dialog (focus in, Escape out, focus back on the node) that leaves the
// run's actions usable, and two runs compared side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServer, launchBrowser, openPage, waitLive, outputDir, pythonRuntime, uploadPipeline, startRun, finishedRun, compileKfp,
} from '../harness.mjs';

let server;
let browser;
const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-details-'));

before(async () => {
  server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

const PIPELINES = `
from kfp import dsl, compiler
from kfp.dsl import Dataset, Input, Metrics, Output

@dsl.component
def make_data(rows: int, data: Output[Dataset]):
    with open(data.path, "w") as f:
        f.write("x\\n" * rows)

@dsl.component
def evaluate(data: Input[Dataset], lr: float, metrics: Output[Metrics]) -> float:
    n = len(open(data.path).read().splitlines())
    metrics.log_metric("accuracy", round(0.5 + lr, 3))
    metrics.log_metric("rows", n)
    return lr

@dsl.pipeline(name="evaluate")
def evaluate_pipeline(rows: int = 10, lr: float = 0.1):
    d = make_data(rows=rows)
    evaluate(data=d.outputs["data"], lr=lr)

@dsl.component
def divide(n: int) -> float:
    return 1 / n

@dsl.pipeline(name="fails")
def fails(n: int = 0):
    divide(n=n)

compiler.Compiler().compile(evaluate_pipeline, "evaluate.yaml")
compiler.Compiler().compile(fails, "fails.yaml")
`;

let yamlOf;

/** A run of `pipeline` with `parameters`, once it ended. */
async function ran(pipeline, displayName, parameters = {}) {
  return finishedRun(server, (await startRun(server, pipeline, displayName, parameters)).run_id);
}

test("a task's inputs, outputs and metrics are tables; its panel is a dialog beside the run's actions", async () => {
  yamlOf = compileKfp(scratch, PIPELINES);
  const pipeline = await uploadPipeline(server, 'evaluate', yamlOf('evaluate'));
  const run = await ran(pipeline, 'lr 0.1', { lr: 0.1 });
  assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.error));
  const { page, problems } = await openPage(browser);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.url}/runs/${run.run_id}?ns=default`);
  await waitLive(page);

  const node = page.locator('[data-testid=dag] .dag-node', { hasText: /^evaluate/ });
  await node.click();
  const panel = page.getByTestId('task-panel');
  await panel.waitFor();
  await page.waitForFunction(() => document.activeElement?.dataset?.testid === 'task-panel');
  const inputs = panel.getByTestId('task-inputs');
  await inputs.waitFor();
  assert.match(await inputs.locator('tr', { hasText: 'lr' }).textContent(), /lr\s*number\s*0\.1/);
  const data = inputs.locator('tr', { hasText: 'system.Dataset' });
  assert.equal(await data.getByRole('link').count(), 1, 'the input artifact links to its download');
  const download = await (await fetch(`${server.url}${await data.getByRole('link').getAttribute('href')}`)).text();
  assert.equal(download, 'x\n'.repeat(10));
  for (const table of ['task-inputs', 'task-outputs']) {
    assert.doesNotMatch(await panel.getByTestId(table).textContent(), /\/tmp\/|\/data\/|artifacts\//, `no server paths in ${table}`);
  }
  const metrics = panel.getByTestId('task-metrics');
  assert.match(await metrics.locator('tr', { hasText: 'accuracy' }).textContent(), /accuracy\s*0\.6/);
  assert.match(await metrics.locator('tr', { hasText: 'rows' }).textContent(), /rows\s*10/);

  // The run's actions stay in view beside the panel.
  const actions = await page.locator('.run-actions').boundingBox();
  const box = await panel.boundingBox();
  assert.ok(actions.x + actions.width <= box.x, `actions end at ${actions.x + actions.width}, the panel starts at ${box.x}`);
  await page.screenshot({ path: path.join(outputDir, 'run-task-tables-1440.png') });

  // Escape closes it and focus returns to the node it was opened from.
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  assert.doesNotMatch(page.url(), /task=/);
  await page.waitForFunction(() => (document.activeElement?.dataset?.path ?? '').endsWith('/evaluate'));

  await page.setViewportSize({ width: 390, height: 844 });
  await node.click();
  await panel.getByTestId('task-inputs').waitFor();
  await page.screenshot({ path: path.join(outputDir, 'run-task-tables-390.png') });
  assert.deepEqual(problems, []);
});

test("a failed step's log opens on stderr, at its exception", async () => {
  const pipeline = await uploadPipeline(server, 'fails', yamlOf('fails'));
  const run = await ran(pipeline, 'divide by zero');
  assert.equal(run.state, 'FAILED');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs/${run.run_id}?ns=default`);
  await waitLive(page);
  await page.locator('[data-testid=dag] .dag-node', { hasText: /^divide/ }).click();
  const panel = page.getByTestId('task-panel');
  await panel.getByTestId('log').waitFor();
  assert.equal(await panel.getByTestId('log-stream').inputValue(), 'stderr');
  await panel.locator('.log__lines', { hasText: 'ZeroDivisionError' }).waitFor();
  assert.deepEqual(problems, []);
});

test('two runs are compared side by side, their differences highlighted', async () => {
  const pipeline = await uploadPipeline(server, 'evaluate-again', yamlOf('evaluate'));
  const runs = [await ran(pipeline, 'lr 0.2', { lr: 0.2 }), await ran(pipeline, 'lr 0.4', { lr: 0.4 })];
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs?ns=default`);
  await waitLive(page);
  assert.equal(await page.getByTestId('compare').isDisabled(), true, 'nothing picked yet');
  for (const run of runs) await page.getByRole('checkbox', { name: `Compare ${run.display_name}` }).check();
  await page.getByTestId('compare').click();
  await page.waitForURL(/\/runs\/compare\?/);
  const parameters = page.getByTestId('compare-parameters');
  await parameters.waitFor();
  const row = (table, name) => table.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
  const lr = row(parameters, 'lr');
  assert.equal(await lr.getAttribute('data-differs'), 'true');
  assert.deepEqual((await lr.locator('td').allTextContents()).sort(), ['0.2', '0.4']);
  assert.equal(await row(parameters, 'rows').getAttribute('data-differs'), 'false');
  const metrics = page.getByTestId('compare-metrics');
  assert.deepEqual((await row(metrics, 'accuracy').locator('td').allTextContents()).sort(), ['0.7', '0.9']);
  assert.equal(await row(metrics, 'accuracy').getAttribute('data-differs'), 'true');
  assert.equal(await row(metrics, 'rows').getAttribute('data-differs'), 'false');
  await page.screenshot({ path: path.join(outputDir, 'compare-runs-1440.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scroll');
  await page.screenshot({ path: path.join(outputDir, 'compare-runs-390.png'), fullPage: true });

  // One run is not a comparison: the page says what to do.
  await page.goto(`${server.url}/runs/compare?ns=default&ids=${runs[0].run_id}`);
  assert.match(await page.getByTestId('compare-error').textContent(), /pick 2 to 10 runs to compare; 1 picked/);
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
});
