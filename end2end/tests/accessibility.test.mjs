// Every page, with real data behind it, at 1440 and 390 pixels wide:
// axe-core finds no serious or critical violation, and no page scrolls
// sideways on a phone (tables scroll inside their own box).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  startServer, launchBrowser, openPage, waitLive, outputDir, argoWorkflow, accessibilityProblems, pythonRuntime,
  api, uploadPipeline, startRun, finishedRun,
} from '../harness.mjs';

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

test('no page has a serious accessibility violation or scrolls sideways at 390 px', async () => {
  const pipeline = await uploadPipeline(server, 'tour', argoWorkflow('tour', [['fetch', []], ['train', ['fetch']], ['report', ['train']]]));
  const [first, second] = [await startRun(server, pipeline, 'tour one'), await startRun(server, pipeline, 'tour two')];
  await finishedRun(server, first.run_id);
  const done = await finishedRun(server, second.run_id);
  const task = done.run_details.task_details.find((t) => t.display_name === 'train');
  await api(server, 'POST', '/api/namespaces/default/notebooks', { name: 'look', cpu: '0.1', memory: '256Mi' });

  const pages = [
    ['home', '/?ns=default'],
    ['notebooks', '/notebooks?ns=default'],
    ['new-notebook', '/notebooks/new?ns=default'],
    ['notebook', '/notebooks/look?ns=default'],
    ['pipelines', '/pipelines?ns=default'],
    ['pipeline', `/pipelines/${pipeline.pipeline_id}?ns=default`],
    ['experiments', '/experiments?ns=default'],
    ['runs', '/runs?ns=default'],
    ['run', `/runs/${done.run_id}?ns=default`],
    ['run-task', `/runs/${done.run_id}?ns=default&task=${task.task_id}`],
    ['compare', `/runs/compare?ns=default&ids=${first.run_id}&ids=${second.run_id}`],
    ['recurring-runs', '/recurring-runs?ns=default'],
    ['workflow-templates', '/workflow-templates?ns=default'],
    ['artifacts', '/artifacts?ns=default'],
    ['utilization', '/utilization?ns=default'],
    ['activity', '/activity?ns=default'],
  ];
  const { page, problems } = await openPage(browser);
  const found = [];
  for (const [width, height] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    for (const [name, url] of pages) {
      await page.goto(`${server.url}${url}`);
      await waitLive(page);
      await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => {});
      for (const problem of await accessibilityProblems(page)) found.push(`${name} at ${width}: ${problem}`);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (sideways > 0) found.push(`${name} at ${width}: scrolls ${sideways} px sideways`);
      await page.screenshot({ path: path.join(outputDir, `a11y-${name}-${width}.png`), fullPage: true });
    }
  }
  assert.deepEqual(found, []);
  assert.deepEqual(problems, []);
});
