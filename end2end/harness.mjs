// Starts a real `ferroflow serve` (release build) on a free port with a fresh
// data dir, and a headless Debian Chromium driven by playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target');
export { root };
export const outputDir = path.join(root, 'end2end', 'output');
mkdirSync(outputDir, { recursive: true });

/** The release build, or E2E_FERROFLOW_BIN (a debug build while developing). */
const binary = process.env.E2E_FERROFLOW_BIN || path.join(targetDir, 'release', 'ferroflow');

/** Python with the kfp SDK, which KFP's lightweight components need to run. */
export const pythonRuntime = path.join(root, '.venv', 'bin');

/**
 * Starts the server as `make run` does: from a checkout (a fresh directory
 * with the project's `.venv`), with the relative data dir `data`. Resolves
 * once it logs the address it listens on.
 */
export async function startServer(env = {}) {
  const checkout = mkdtempSync(path.join(tmpdir(), 'ferroflow-e2e-'));
  symlinkSync(path.join(root, '.venv'), path.join(checkout, '.venv'));
  const child = spawn(binary, ['serve', '--bind', '127.0.0.1:0', '--data-dir', 'data'], {
    cwd: checkout,
    env: { ...process.env, NO_COLOR: '1', FERROFLOW_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      const text = chunk.toString();
      log.push(text);
      const match = /ferroflow is ready address=(\S+)/.exec(text);
      if (match) resolve(`http://${match[1]}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`ferroflow exited with ${code}:\n${log.join('')}`)));
  });
  return {
    url,
    log,
    async stop() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Launches Chromium with the flags this machine needs (no network beyond loopback). */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ferroflow-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors, CSP violations and uncaught exceptions. */
export async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  return { page, problems };
}

const axeSource = readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now,
 * one line each naming the rule and the element.
 */
export async function accessibilityProblems(page) {
  // Evaluated over the DevTools protocol, so the page's CSP does not apply.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

/** Waits until the page is hydrated and its event stream is connected. */
export async function waitLive(page) {
  await page.locator('[data-testid=live-indicator].live-indicator--on').waitFor();
}

/**
 * An Argo Workflow whose entrypoint is a DAG of `tasks` ([name, [dependencies]]),
 * each running `command` (argv, no shell unless the command is one) as a local process.
 */
export function argoWorkflow(name, tasks, { command = ['true'], parallelism } = {}) {
  const lines = tasks.map(([task, deps]) =>
    `      - {name: ${task}, template: step${deps.length ? `, dependencies: [${deps.join(', ')}]` : ''}}`);
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ${name}-}
spec:
  entrypoint: main
  templates:
  - name: step
    container: {image: alpine, command: ${JSON.stringify(command)}}
  - name: main
${parallelism ? `    parallelism: ${parallelism}\n` : ''}    dag:
      tasks:
${lines.join('\n')}
`;
}

/** Calls the server's REST API (JSON in and out); fails the test on an error status. */
export async function api(server, method, url, body) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Uploads a pipeline file's text through KFP's upload endpoint, as `kfp.Client` does. */
export async function uploadPipeline(server, name, text) {
  const form = new FormData();
  form.append('uploadfile', new Blob([text]), `${name}.yaml`);
  const res = await fetch(`${server.url}/apis/v2beta1/pipelines/upload?name=${name}`, { method: 'POST', body: form });
  const answer = await res.text();
  if (res.status !== 200) throw new Error(`upload ${name}: ${res.status} ${answer}`);
  return JSON.parse(answer);
}

/** Starts a run of `pipeline` (its latest version) named `displayName`. */
export function startRun(server, pipeline, displayName, parameters = {}) {
  return api(server, 'POST', '/apis/v2beta1/runs', {
    display_name: displayName,
    pipeline_version_reference: { pipeline_id: pipeline.pipeline_id },
    runtime_config: { parameters },
  });
}

/** Waits until run `runId` ended, polling the KFP API; returns it. */
export async function finishedRun(server, runId) {
  for (;;) {
    const run = await api(server, 'GET', `/apis/v2beta1/runs/${runId}`);
    if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(run.state)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Compiles a kfp pipeline source as a user does (`python pipeline.py` with
 * the project's kfp) in `dir`; returns a function reading what it wrote.
 */
export function compileKfp(dir, source) {
  writeFileSync(path.join(dir, 'pipeline.py'), source);
  execFileSync(path.join(pythonRuntime, 'python'), ['pipeline.py'], { cwd: dir, stdio: 'pipe' });
  return (name) => readFileSync(path.join(dir, `${name}.yaml`), 'utf8');
}
