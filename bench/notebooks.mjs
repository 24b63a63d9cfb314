// Notebook servers: click-to-ready against JupyterLab's own start, and
// what the proxy adds per request and to throughput. Figures, not assertions.
//
//   cargo xtask build --release && node bench/notebooks.mjs
//
// 1. JupyterLab alone: `jupyter lab` started by hand, until /api/status answers.
// 2. Click-to-ready: Launch clicked on the new-notebook form until the
//    list shows the notebook `ready` (live, over SSE).
// 3. Per request: GET api/status straight to Jupyter and through the proxy.
// 4. Throughput: a 256 MiB file from the workspace, straight and proxied.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startServer, launchBrowser, openPage, waitLive, pythonRuntime } from '../end2end/harness.mjs';

const REPEATS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** JupyterLab started directly, timed until its status answers. */
async function jupyterAlone() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ferroflow-bench-jupyter-'));
  const started = performance.now();
  const child = spawn(path.join(pythonRuntime, 'jupyter'), ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
    '--IdentityProvider.token=t', '--ServerApp.base_url=/x/', `--ServerApp.root_dir=${dir}`, '--allow-root'],
    { stdio: 'ignore', env: { ...process.env, HOME: dir } });
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/x/api/status`, { headers: { authorization: 'token t' } });
      if (r.ok) break;
    } catch { /* not listening yet */ }
    await sleep(20);
  }
  const ms = performance.now() - started;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
  return ms;
}

/** Port and token of the running Jupyter serving `baseUrl`, from its command line. */
function jupyterOf(baseUrl) {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args;
    try { args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (!args.includes(`--ServerApp.base_url=${baseUrl}`)) continue;
    const arg = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
    return { port: Number(arg('port')), token: arg('IdentityProvider.token') };
  }
  throw new Error(`no jupyter serving ${baseUrl}`);
}

async function timeRequests(url, headers, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    times.push(performance.now() - t);
  }
  return times;
}

async function throughput(url, headers) {
  const rates = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers });
    const bytes = (await r.arrayBuffer()).byteLength;
    rates.push(bytes / (1 << 20) / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

const alone = [];
for (let i = 0; i < REPEATS; i++) alone.push(await jupyterAlone());

const server = await startServer({ FERROFLOW_DEFAULT_RUNTIME: pythonRuntime });
const dataDir = /data_dir=(\S+)/.exec(server.log.join(''))[1];
const browser = await launchBrowser();
const { page } = await openPage(browser);
const clicks = [];
for (let i = 0; i < REPEATS; i++) {
  await page.goto(`${server.url}/notebooks/new?ns=default`);
  await waitLive(page);
  await page.getByTestId('name').fill(`bench-${i}`);
  await page.getByTestId('cpu').fill('0.1');
  const t = performance.now();
  await page.getByTestId('launch').click();
  await page.locator(`[data-testid=notebook-row][data-name="bench-${i}"][data-phase=ready]`).waitFor({ timeout: 120_000 });
  clicks.push(performance.now() - t);
  if (i < REPEATS - 1) await fetch(`${server.url}/api/namespaces/default/notebooks/bench-${i}`, { method: 'DELETE' });
}
const name = `bench-${REPEATS - 1}`;
const { port, token } = jupyterOf(`/notebook/default/${name}/`);
const direct = `http://127.0.0.1:${port}/notebook/default/${name}/`;
const href = await page.locator(`[data-testid=notebook-row][data-name="${name}"]`).getByTestId('connect').getAttribute('href');
const auth = { authorization: `token ${token}` };
await timeRequests(`${direct}api/status`, auth, 50); // warm both paths
await timeRequests(`${href}api/status`, {}, 50);
const straight = await timeRequests(`${direct}api/status`, auth, 500);
const proxied = await timeRequests(`${href}api/status`, {}, 500);
writeFileSync(path.join(dataDir, 'notebooks', 'default', 'volumes', `${name}-workspace`, 'big.bin'), Buffer.alloc(256 << 20, 7));
const rateStraight = await throughput(`${direct}files/big.bin`, auth);
const rateProxied = await throughput(`${href}files/big.bin`, {});

await fetch(`${server.url}/api/namespaces/default/notebooks/${name}`, { method: 'DELETE' }); // servers outlive ferroflow
await browser.close();
await server.stop();

const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`JupyterLab alone, until /api/status answers (median of ${REPEATS}): ${ms(median(alone))} [${alone.map(ms).join(', ')}]`);
console.log(`Click-to-ready in the dashboard (median of ${REPEATS}): ${ms(median(clicks))} [${clicks.map(ms).join(', ')}]`);
console.log(`Our overhead beyond Jupyter's start: ${ms(median(clicks) - median(alone))}`);
console.log(`GET api/status, 500 sequential: straight p50 ${median(straight).toFixed(2)} ms p99 ${percentile(straight, 99).toFixed(2)} ms; proxied p50 ${median(proxied).toFixed(2)} ms p99 ${percentile(proxied, 99).toFixed(2)} ms; added p50 ${(median(proxied) - median(straight)).toFixed(2)} ms`);
console.log(`256 MiB file: straight ${rateStraight.toFixed(0)} MiB/s, proxied ${rateProxied.toFixed(0)} MiB/s`);
