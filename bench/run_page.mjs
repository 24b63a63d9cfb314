// The run page at 5,000 tasks: time until interactive and main-thread time
// per live update with the page open while the run goes; server render time
// and time until interactive on the finished run. Figures, not assertions.
//
//   cargo xtask build --release && node bench/run_page.mjs
//
// Two runs: a 5,000-task fan-out (one task, then 4,999 that depend on it)
// and a 50-wide lattice of 100 layers (each task depends on its three
// neighbours above). Steps run `true` as local processes.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, waitLive, argoWorkflow } from '../end2end/harness.mjs';

const scratch = mkdtempSync(path.join(tmpdir(), 'ferroflow-bench-'));

function workflow(name, tasks) {
  return argoWorkflow(name, tasks, { parallelism: 64 });
}

function fanOut() {
  return [['root', []], ...Array.from({ length: 4999 }, (_, i) => [`leaf-${i}`, ['root']])];
}

function lattice() {
  const tasks = [];
  for (let layer = 0; layer < 100; layer++) {
    for (let col = 0; col < 50; col++) {
      const deps = layer === 0 ? [] : [col - 1, col, col + 1].filter((c) => c >= 0 && c < 50).map((c) => `t-${layer - 1}-${c}`);
      tasks.push([`t-${layer}-${col}`, deps]);
    }
  }
  return tasks;
}

async function api(server, method, url, body) {
  const res = await fetch(`${server.url}/apis/v2beta1${url}`, { method, body, headers: body && typeof body === 'string' ? { 'content-type': 'application/json' } : undefined });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json)}`);
  return json;
}

async function startRun(server, name, tasks) {
  const file = path.join(scratch, `${name}.yaml`);
  writeFileSync(file, workflow(name, tasks));
  const form = new FormData();
  form.append('uploadfile', new Blob([workflow(name, tasks)]), `${name}.yaml`);
  const pipeline = await api(server, 'POST', `/pipelines/upload?name=${name}`, form);
  const run = await api(server, 'POST', '/runs', JSON.stringify({
    display_name: name, pipeline_version_reference: { pipeline_id: pipeline.pipeline_id },
  }));
  return run.run_id;
}

async function waitDone(server, id) {
  for (;;) {
    const run = await api(server, 'GET', `/runs/${id}`);
    if (!['RUNNING', 'PENDING'].includes(run.state)) return run.state;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(server, browser, name, tasks) {
  const started = performance.now();
  const id = await startRun(server, name, tasks);
  console.log(`${name}: run ${id} started`);
  const url = `${server.url}/runs/${id}?ns=default`;

  // Opened while the run goes: time until interactive, then main-thread
  // time per task update received until the run ends.
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const opened = performance.now();
  await page.goto(url, { timeout: 300_000 });
  await page.locator('[data-testid=live-indicator].live-indicator--on').waitFor({ timeout: 300_000 });
  const liveAfter = performance.now() - opened;
  await page.evaluate(() => {
    window.__updates = 0;
    const source = new EventSource('/api/events?ns=default');
    source.onmessage = (m) => { if (m.data.includes('"task_updated"')) window.__updates++; };
  });
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metrics();
  const state = await waitDone(server, id);
  const after = await metrics();
  const runSeconds = (performance.now() - started) / 1000;
  const updates = await page.evaluate(() => window.__updates);
  const busyMs = (after.TaskDuration - before.TaskDuration) * 1000;
  await page.close();

  // Server render of the finished run's page.
  const ssr = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.text();
    ssr.push(performance.now() - t);
  }

  // Time until interactive: navigation start to hydrated with the stream open.
  const tti = [];
  for (let i = 0; i < 5; i++) {
    const p = await browser.newPage();
    await p.goto(url);
    await waitLive(p);
    tti.push(await p.evaluate(() => performance.now()));
    await p.close();
  }
  console.log(`${name}: ${tasks.length} tasks, run ${state} in ${runSeconds.toFixed(1)} s`);
  console.log(`  opened while it ran: interactive after ${liveAfter.toFixed(0)} ms; ${updates} task updates after that, main thread ${busyMs.toFixed(0)} ms in all, ${(busyMs / Math.max(updates, 1)).toFixed(2)} ms per update`);
  console.log(`  server render of the run page: median ${median(ssr).toFixed(1)} ms (10 requests)`);
  console.log(`  time until interactive (hydrated, stream open): median ${median(tti).toFixed(0)} ms (5 loads)`);
}

console.log('starting server');
const server = await startServer();
console.log('server at', server.url);
const browser = await launchBrowser();
try {
  await measure(server, browser, 'fan-out', fanOut());
  await measure(server, browser, 'lattice', lattice());
} finally {
  await browser.close();
  await server.stop();
}
