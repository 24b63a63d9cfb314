// Notebooks in a real browser against a real server and a real JupyterLab:
// the new-notebook form (a bad name refused next to its field as it is
// typed), the list turning `ready` live, JupyterLab opened on the notebook
// origin, a cell run through the kernel WebSocket, stop and start with the
// workspace kept, and delete. Also: a notebook's page cannot read the
// dashboard or act on it as the user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitLive, outputDir, pythonRuntime } from '../harness.mjs';

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

/** The list's row of notebook `name`, once its phase is `phase`. */
function row(page, name, phase) {
  return page.locator(`[data-testid=notebook-row][data-name="${name}"][data-phase="${phase}"]`);
}

/**
 * Runs `code` in a new kernel of the notebook whose JupyterLab is open in
 * `lab`, over the kernel WebSocket as JupyterLab does, and returns what it printed.
 */
async function runCell(lab, code) {
  return lab.evaluate(async (code) => {
    const base = location.pathname.replace(/lab.*$/, '');
    const kernel = await (await fetch(`${base}api/kernels`, { method: 'POST', body: '{}' })).json();
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}${base}api/kernels/${kernel.id}/channels`);
    const msgId = crypto.randomUUID();
    const printed = await new Promise((resolve, reject) => {
      let out = '';
      ws.onerror = () => reject(new Error('kernel WebSocket failed'));
      ws.onmessage = (event) => {
        const msg = JSON.parse(event.data);
        if (msg.parent_header?.msg_id !== msgId) return;
        if (msg.msg_type === 'stream') out += msg.content.text;
        if (msg.msg_type === 'error') reject(new Error(`${msg.content.ename}: ${msg.content.evalue}`));
        if (msg.msg_type === 'status' && msg.content.execution_state === 'idle' && msg.channel === 'iopub') resolve(out);
      };
      ws.onopen = () => ws.send(JSON.stringify({
        header: { msg_id: msgId, msg_type: 'execute_request', username: 'e2e', session: crypto.randomUUID(), version: '5.3', date: new Date().toISOString() },
        parent_header: {}, metadata: {}, channel: 'shell',
        content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      }));
    });
    ws.close();
    await fetch(`${base}api/kernels/${kernel.id}`, { method: 'DELETE' });
    return printed;
  }, code);
}

test('a notebook is made from the form, opened, used through its kernel, stopped, started and deleted', async () => {
  const { page, problems } = await openPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`${server.url}/notebooks/new?ns=default`);
  await waitLive(page);
  assert.match(await page.getByTestId('gpus-free').textContent(), /no GPUs on this host|free on this host/);

  // A bad name is named next to its field while the form is filled.
  await page.getByTestId('name').fill('Bad_Name');
  await page.getByTestId('cpu').click();
  assert.match(await page.getByTestId('problem-name').textContent(), /"Bad_Name" must be lower-case letters/);
  await page.getByTestId('name').fill('analysis');
  await page.getByTestId('cpu').fill('0.1');
  await page.getByTestId('memory').fill('256Mi');
  await page.getByTestId('cpu-limit').fill('0.05');
  await page.getByTestId('name').click();
  assert.match(await page.getByTestId('problem-cpuLimit').textContent(), /below the request/);
  assert.equal(await page.getByTestId('problem-name').count(), 0, 'the name is fine now');
  await page.getByTestId('cpu-limit').fill('');
  await page.getByTestId('name').click();
  await page.getByTestId('problem-cpuLimit').waitFor({ state: 'detached' });
  await page.screenshot({ path: path.join(outputDir, 'notebook-form.png'), fullPage: true });

  await page.getByTestId('launch').click();
  await page.waitForURL(/\/notebooks\?ns=default$/);
  await row(page, 'analysis', 'ready').waitFor({ timeout: 120_000 });
  await page.screenshot({ path: path.join(outputDir, 'notebooks-ready.png') });

  // Connect opens JupyterLab on the notebook origin, not the dashboard's.
  const href = await row(page, 'analysis', 'ready').getByTestId('connect').getAttribute('href');
  const notebookOrigin = new URL(href).origin;
  assert.notEqual(notebookOrigin, new URL(server.url).origin);
  const lab = await browser.newPage();
  await lab.goto(href + 'lab');
  await lab.locator('.jp-LabShell').waitFor({ timeout: 60_000 });
  assert.equal(await runCell(lab, 'print(6 * 7)'), '42\n');
  assert.equal(await runCell(lab, "open('kept.txt', 'w').write('still here'); print('written')"), 'written\n');
  await lab.screenshot({ path: path.join(outputDir, 'notebook-jupyterlab.png') });
  await lab.close();

  // Stop, then start: the workspace file is still there.
  await row(page, 'analysis', 'ready').getByTestId('stop').click();
  await row(page, 'analysis', 'stopped').getByTestId('start').waitFor();
  await row(page, 'analysis', 'stopped').getByTestId('start').click();
  await row(page, 'analysis', 'ready').waitFor({ timeout: 120_000 });
  const again = await browser.newPage();
  await again.goto(href + 'lab');
  await again.locator('.jp-LabShell').waitFor({ timeout: 60_000 });
  assert.equal(await runCell(again, "print(open('kept.txt').read())"), 'still here\n');
  await again.close();

  // The notebook's page shows its log and spec.
  await page.goto(`${server.url}/notebooks/analysis?ns=default`);
  await waitLive(page);
  assert.match(await page.getByTestId('notebook-log').textContent(), /Jupyter Server .* is running at/);
  assert.match(await page.getByTestId('notebook-yaml').textContent(), /kind: Notebook/);
  // Its use since it started, charted against its request.
  const usage = page.getByTestId('workload-usage');
  await usage.locator('svg').first().waitFor({ timeout: 30_000 });
  assert.deepEqual(await usage.locator('figure').first().locator('.legend li').allTextContents(), ['used', 'requested']);
  await page.screenshot({ path: path.join(outputDir, 'notebook-details.png'), fullPage: true });

  await page.goto(`${server.url}/notebooks?ns=default`);
  await waitLive(page);
  await row(page, 'analysis', 'ready').getByTestId('delete').click();
  await page.locator('[data-testid=notebook-row]').waitFor({ state: 'detached' });
  const gone = await fetch(`${server.url}/api/namespaces/default/notebooks/analysis`);
  assert.equal(gone.status, 404);
  assert.deepEqual(problems, []);
});

test("a notebook's page can neither read the dashboard nor act on it as the user", async () => {
  const created = await fetch(`${server.url}/api/namespaces/default/notebooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'hostile', cpu: '0.1', memory: '256Mi' }),
  });
  assert.equal(created.status, 200);
  const { page } = await openPage(browser);
  await page.goto(`${server.url}/notebooks?ns=default`);
  await waitLive(page);
  await row(page, 'hostile', 'ready').waitFor({ timeout: 120_000 });
  const href = await row(page, 'hostile', 'ready').getByTestId('connect').getAttribute('href');

  // A page the notebook's user code wrote, served by Jupyter on the notebook origin.
  const put = await fetch(`${server.url}/notebook/default/hostile/api/contents/evil.html`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'file', format: 'text', content: '<!doctype html><title>evil</title><p>hi</p>' }),
  });
  assert.ok(put.ok, await put.text());
  const evil = await browser.newPage();
  await evil.goto(`${href}files/evil.html`);
  assert.equal(await evil.title(), 'evil');
  const attempts = await evil.evaluate(async (dashboard) => {
    const outcome = async (f) => { try { return `ok: ${await f()}`; } catch (e) { return `refused: ${e.name}`; } };
    return {
      readApi: await outcome(async () => (await fetch(`${dashboard}/api/namespaces/default/notebooks`, { credentials: 'include' })).status),
      readPage: await outcome(async () => (await fetch(`${dashboard}/notebooks`, { credentials: 'include' })).text()),
      // A simple cross-origin POST is sent by the browser without asking: the dashboard must refuse it.
      deleteBlind: await outcome(async () => {
        const body = new URLSearchParams({ namespace: 'default', name: 'hostile' });
        await fetch(`${dashboard}/api/ui/delete_notebook`, { method: 'POST', mode: 'no-cors', credentials: 'include', body });
        return 'sent';
      }),
    };
  }, server.url);
  assert.equal(attempts.readApi, 'refused: TypeError', JSON.stringify(attempts));
  assert.equal(attempts.readPage, 'refused: TypeError', JSON.stringify(attempts));
  const still = await fetch(`${server.url}/api/namespaces/default/notebooks/hostile`);
  assert.equal(still.status, 200, 'the blind cross-origin delete was refused');
  await evil.close();
  await fetch(`${server.url}/api/namespaces/default/notebooks/hostile`, { method: 'DELETE' });
});

test('the forms name every problem at once and keep what was typed; the page deletes, says where the workspace lives and flags memory above the request', async () => {
  const created = await fetch(`${server.url}/api/namespaces/default/notebooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // JupyterLab alone uses more than 64 MiB: its use goes above the request.
    body: JSON.stringify({ name: 'taken', cpu: '0.1', memory: '64Mi' }),
  });
  assert.equal(created.status, 200, await created.text());
  const { page, problems } = await openPage(browser);
  page.on('dialog', (dialog) => dialog.accept());

  // Every field's problem at once, checked as create would: a duplicate
  // name and requests beyond this host before Launch.
  await page.goto(`${server.url}/notebooks/new?ns=default`);
  await waitLive(page);
  await page.getByTestId('name').fill('taken');
  await page.getByTestId('cpu').fill('1000');
  await page.getByTestId('memory').fill('lots');
  await page.getByTestId('name').click();
  await page.getByTestId('problem-name').waitFor();
  assert.match(await page.getByTestId('problem-name').textContent(), /a notebook named "taken" exists in default already/);
  assert.match(await page.getByTestId('problem-memory').textContent(), /"lots" is not a positive Kubernetes quantity/);
  await page.getByTestId('memory').fill('1Gi');
  await page.getByTestId('name').click();
  await page.getByTestId('problem-memory').waitFor({ state: 'detached' });
  assert.match(await page.getByTestId('problem-cpu').textContent(), /1000 cores asked; this host has \d+/);
  await page.getByTestId('launch').click();
  await page.getByTestId('problem-cpu').waitFor();
  assert.match(page.url(), /\/notebooks\/new/, 'a refused form stays');
  assert.equal(await page.getByTestId('cpu').inputValue(), '1000', 'and keeps its values');
  assert.match(await page.getByTestId('problem-name').textContent(), /exists in default already/);
  await page.screenshot({ path: path.join(outputDir, 'notebook-form-problems.png'), fullPage: true });

  // Its page: memory above the request flagged, the workspace's real place.
  await page.goto(`${server.url}/notebooks/taken?ns=default`);
  await waitLive(page);
  await page.getByTestId('notebook-phase').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
  await page.getByTestId('over-request').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('over-request').textContent(), /Memory peaked at \d+ MiB, above its request of 64 MiB/);
  const overview = await page.getByTestId('notebook-overview').textContent();
  assert.match(overview, /taken-workspace: \/\S+\/data\/notebooks\/default\/volumes\/taken-workspace on this machine/);

  // Stopped, it can be edited: limits follow the request unless set; a
  // refused save keeps the input next to its problem.
  await page.getByTestId('stop').click();
  await page.getByTestId('save').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('cpu-limit').inputValue(), '', 'the limit follows the request');
  await page.getByTestId('cpu').fill('0.2');
  await page.getByTestId('cpu-limit').fill('0.1');
  await page.getByTestId('save').click();
  await page.getByTestId('problem-cpuLimit').waitFor();
  assert.match(await page.getByTestId('problem-cpuLimit').textContent(), /"0.1" is below the request/);
  assert.equal(await page.getByTestId('cpu').inputValue(), '0.2');
  assert.equal(await page.getByTestId('cpu-limit').inputValue(), '0.1');
  await page.screenshot({ path: path.join(outputDir, 'notebook-edit-refused.png'), fullPage: true });
  await page.getByTestId('cpu-limit').fill('');
  await page.getByTestId('save').click();
  await page.getByTestId('problem-cpuLimit').waitFor({ state: 'detached' });
  await page.getByTestId('notebook-overview').filter({ hasText: '0.2 / 0.24' }).waitFor();

  // Delete from its own page lands on the list without it.
  await page.getByTestId('delete').click();
  await page.waitForURL(/\/notebooks\?ns=default$/);
  const gone = await fetch(`${server.url}/api/namespaces/default/notebooks/taken`);
  assert.equal(gone.status, 404);
  // Refused forms answer 400, which the browser logs.
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
});
