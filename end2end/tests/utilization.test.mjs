// The Utilization page in a real browser: charts drawn by the server
// (plotters SVG) that redraw as samples arrive over the live stream, the
// host's GPU state ("no GPUs on this host" here), and a running step
// listed with what it uses against what it asked for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir } from '../harness.mjs';

let server;
let browser;
const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-util-'));
const release = path.join(scratch, 'release');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(release, '');
  await browser?.close();
  assert.equal(await server?.stop(), 0, `graceful shutdown:\n${server.log.join('')}`);
});

/** A KFP run whose one step keeps a core busy and holds 100 MiB until `release` exists. */
function busyRun() {
  const script = `import os\nx = bytearray(100 << 20)\nwhile not os.path.exists(${JSON.stringify(release)}):\n    pass\n`;
  return {
    display_name: 'busy',
    pipeline_spec: {
      pipelineInfo: { name: 'busy' },
      schemaVersion: '2.1.0',
      sdkVersion: 'kfp-2.17.3',
      root: { dag: { tasks: { burn: { componentRef: { name: 'comp-burn' }, taskInfo: { name: 'burn' } } } } },
      components: { 'comp-burn': { executorLabel: 'exec-burn' } },
      deploymentSpec: { executors: { 'exec-burn': { container: { image: 'python', command: ['python3', '-c', script], resources: { resourceCpuLimit: '1', resourceMemoryLimit: '512Mi' } } } } },
    },
  };
}

test('the Utilization page charts the host live and lists a running step against its request', async () => {
  const created = await fetch(`${server.url}/apis/v2beta1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(busyRun()),
  });
  assert.equal(created.status, 200, await created.clone().text());
  const { run_id: runId } = await created.json();

  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/utilization?ns=default`);
  await waitLive(page);
  const charts = page.locator('[data-testid=charts] svg');
  await charts.first().waitFor();
  assert.ok(await charts.count() >= 2, 'CPU and memory charts at least');
  // No GPU here (no kubelet or GPU on this machine): said plainly, the
  // loader's message behind "Details".
  const gpus = await page.locator('[data-testid=no-gpus]').count();
  if (gpus) {
    const notice = page.getByTestId('no-gpus');
    assert.match(await notice.textContent(), /No GPUs are in use on this host/);
    assert.equal(await notice.locator('details').getAttribute('open'), null, 'the details start closed');
    assert.match(await notice.locator('details pre').textContent(), /no GPUs on this host/);
  }
  // The CPU chart is the whole machine's, Ferroflow's share beside it, the
  // legend under the plot.
  const cpuChart = page.locator('[data-testid=charts] figure[aria-label=CPU]');
  assert.deepEqual(await cpuChart.locator('.legend li').allTextContents(), ['whole machine', "Ferroflow's workloads"]);
  assert.match(await page.getByTestId('utilization-cards').textContent(), /CPU \(whole machine\)\d+ % of \d+ cores[\s\S]*Ferroflow's workloads\d+ % of the machine/);

  // The run's step appears by the run's name and its task, with its CPU
  // use next to its one-core request.
  const row = page.locator(`[data-testid=workload][data-kind=run]`).filter({ hasText: 'run busy' });
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.textContent(), /run busy\s*burn/);
  assert.doesNotMatch(await row.textContent(), new RegExp(runId), 'named, not by its id');
  await page.waitForFunction(() => {
    const r = [...document.querySelectorAll('[data-testid=workload]')].find((tr) => tr.textContent.includes('run busy'));
    const cores = r && parseFloat(r.querySelector('[data-testid=workload-cpu]').textContent);
    return cores > 0.5;
  }, null, { timeout: 60_000 });
  assert.match(await row.getByTestId('workload-cpu').textContent(), /of 1\.00 cores/);
  await page.locator('[data-testid=charts] figure[aria-label="Workloads\' CPU"] .legend li', { hasText: 'run busy' }).waitFor();
  // The namespace's totals, in the table across namespaces.
  const total = page.getByTestId('namespace-total').filter({ hasText: 'default' });
  await total.waitFor();
  assert.match(await total.textContent(), /of 1\.00 cores/);

  // The charts are redrawn from the live stream, without a reload.
  const before = await charts.first().innerHTML();
  await page.waitForFunction((old) => document.querySelector('[data-testid=charts] svg').innerHTML !== old, before, { timeout: 30_000 });
  await page.screenshot({ path: path.join(outputDir, 'utilization.png'), fullPage: true });

  // The run's page charts its use against its request, live while it runs,
  const usage = page.getByTestId('workload-usage');
  await page.goto(`${server.url}/runs/${runId}?ns=default`);
  await waitLive(page);
  await usage.locator('svg').nth(1).waitFor({ timeout: 30_000 });
  const cpu = usage.locator('svg').first();
  assert.match(await cpu.textContent(), /CPU/);
  assert.deepEqual(await usage.locator('figure').first().locator('.legend li').allTextContents(), ['used', 'requested']);
  const drawn = await cpu.innerHTML();
  await page.waitForFunction((old) => document.querySelector('[data-testid=workload-usage] svg').innerHTML !== old, drawn, { timeout: 30_000 });
  await page.screenshot({ path: path.join(outputDir, 'run-utilization.png'), fullPage: true });

  // ... and still after it ended, from the recorded samples.
  writeFileSync(release, '');
  await page.locator('.run-header__meta .badge', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
  await page.reload();
  await usage.locator('svg').nth(1).waitFor({ timeout: 30_000 });
  assert.deepEqual(problems, []);
});
