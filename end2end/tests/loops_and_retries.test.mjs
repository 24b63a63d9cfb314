// Loops and retries as users write them, in a real browser: a kfp
// ParallelFor over a list of dicts with a parallelism limit counts all the
// iterations due from the start, names each by its item (lr=0.3), lets
// the user pick any of them, and shows its body in the pipeline's graph
// before any run; an Argo loop of single steps lists its iterations; a
// retried step's duration leaves out the wait between attempts.
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
const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-loops-'));

before(async () => {
  server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

const SWEEP = `
from kfp import dsl, compiler

@dsl.component
def prepare(n: int) -> int:
    return n * 2

@dsl.component
def train(lr: float, epochs: int) -> float:
    return lr * epochs

@dsl.pipeline(name="sweep", description="Trains once per learning rate.")
def sweep(epochs: int = 3):
    p = prepare(n=epochs)
    with dsl.ParallelFor([{"lr": 0.1}, {"lr": 0.3}, {"lr": 0.5}, {"lr": 0.9}], parallelism=1) as item:
        train(lr=item.lr, epochs=p.output)

compiler.Compiler().compile(sweep, "sweep.yaml")
`;

test('a ParallelFor counts every iteration due, names each by its item and opens any of them', async () => {
  const pipeline = await uploadPipeline(server, 'sweep', compileKfp(scratch, SWEEP)('sweep'));
  const { page, problems } = await openPage(browser);

  // Before any run, the loop's body can be opened from the pipeline's graph.
  await page.goto(`${server.url}/pipelines/${pipeline.pipeline_id}?ns=default`);
  await waitLive(page);
  const loop = page.locator('[data-testid=dag] .dag-node', { hasText: 'for-loop' });
  assert.match(await loop.textContent(), /for each item/);
  await loop.click();
  await page.locator('[data-testid=dag] .dag-node', { hasText: 'train' }).waitFor();
  assert.match(await page.locator('.dag__crumbs').textContent(), /for-loop-\d+ \(each item\)/);

  const run = await startRun(server, pipeline, 'lr sweep');
  await page.goto(`${server.url}/runs/${run.run_id}?ns=default`);
  await waitLive(page);
  // One at a time: while it runs, the count is of all four due.
  const counted = page.locator('[data-testid=dag] .dag-node', { hasText: /\d\/4 iterations/ });
  await counted.waitFor({ timeout: 90_000 });
  const finished = await finishedRun(server, run.run_id);
  assert.equal(finished.state, 'SUCCEEDED', JSON.stringify(finished.error));

  // Every task (iterations included) starts before what it holds.
  const tasks = finished.run_details.task_details;
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const held = tasks.filter((t) => byId.has(t.parent_task_id));
  assert.equal(new Set(held.filter((t) => t.display_name === 'train').map((t) => t.parent_task_id)).size, 4, 'each train step is held by its iteration');
  for (const child of held) {
    const parent = byId.get(child.parent_task_id);
    assert.ok(new Date(child.start_time) >= new Date(parent.start_time), `${child.display_name} starts after ${parent.display_name}`);
  }

  await page.reload();
  await waitLive(page);
  await page.locator('[data-testid=dag] .dag-node', { hasText: '4/4 iterations' }).click();
  const picker = page.getByTestId('iterations');
  await picker.waitFor();
  assert.deepEqual(await picker.getByTestId('iteration').locator('a, span:not(.badge)').allTextContents(), ['lr=0.1', 'lr=0.3', 'lr=0.5', 'lr=0.9']);
  assert.match(await picker.textContent(), /4 of 4 done/);
  await picker.getByRole('link', { name: 'lr=0.5' }).click();
  await page.waitForURL(/scope=.*%5B2%5D/);
  await page.locator('.dag__crumbs', { hasText: /for-loop-\d+ \(lr=0.5\)/ }).waitFor();
  assert.equal(await page.getByTestId('iterations').locator('[aria-current=page]').textContent(), 'lr=0.5');
  // The task table names iterations by their items too.
  await page.getByTestId('task-table').getByRole('link', { name: /for-loop-\d+ \(lr=0.3\)\/train/ }).waitFor();
  await page.screenshot({ path: path.join(outputDir, 'run-loop-iterations.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test("a loop of single steps lists its iterations; a retried step's duration leaves out the wait", async () => {
  const workflow = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: greet-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: greet
        template: say
        arguments: {parameters: [{name: who, value: "{{item}}"}]}
        withItems: [ada, grace, linus]
      - {name: shaky, template: shaky}
  - name: say
    inputs: {parameters: [{name: who}]}
    container: {image: alpine, command: [echo, "hello {{inputs.parameters.who}}"]}
  - name: shaky
    retryStrategy: {limit: 2, backoff: {duration: "4s"}}
    container: {image: alpine, command: [sh, -c, '[ "{{retries}}" -ge 1 ]']}
`;
  const pipeline = await uploadPipeline(server, 'greet', workflow);
  const run = await startRun(server, pipeline, 'greetings');
  const finished = await finishedRun(server, run.run_id);
  assert.equal(finished.state, 'SUCCEEDED', JSON.stringify(finished.error));
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/runs/${run.run_id}?ns=default`);
  await waitLive(page);

  // The retried step: two attempts, 4 s apart, but it ran for well under that.
  const shaky = page.getByTestId('task-row').filter({ hasText: 'shaky' });
  assert.equal((await shaky.locator('td').nth(2).textContent()).trim(), '2');
  const took = (await shaky.locator('td').nth(4).textContent()).trim();
  assert.match(took, /^\d+(\.\d)?s$/);
  assert.ok(parseFloat(took) < 4, `duration ${took} leaves out the 4 s backoff`);

  await page.locator('[data-testid=dag] .dag-node', { hasText: '3/3 iterations' }).click();
  const picker = page.getByTestId('iterations');
  await picker.waitFor();
  assert.deepEqual(await picker.getByRole('link').allTextContents(), ['who=ada', 'who=grace', 'who=linus']);
  await picker.getByRole('link', { name: 'who=grace' }).click();
  await page.getByTestId('task-panel').waitFor();
  assert.match(await page.getByTestId('task-panel').locator('.panel__title').textContent(), /greet \(who=grace\)/);
  await page.screenshot({ path: path.join(outputDir, 'run-loop-steps.png'), fullPage: true });
  assert.deepEqual(problems, []);
});
