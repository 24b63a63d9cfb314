#!/usr/bin/env python3
"""KFP API figures: list runs with a filter (page of 20) at 100k and 1M
runs, and create_run latency and throughput. Figures, not assertions.

    cargo xtask build --release && .venv/bin/python bench/kfp_api.py

Each store size gets a fresh data directory: the server creates the schema,
then runs are written straight into SQLite (as finished runs, so nothing
resumes them), then the server is started again and measured over HTTP
with keep-alive connections, as a client library would.
"""

import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("FERROFLOW", os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "ferroflow"))
SIZES = [int(s) for s in os.environ.get("SIZES", "100000,1000000").split(",")]
REQUESTS = int(os.environ.get("REQUESTS", "500"))

TINY = {
    "pipelineInfo": {"name": "tiny"}, "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.17.3",
    "root": {"dag": {"tasks": {"noop": {"componentRef": {"name": "comp-noop"}, "taskInfo": {"name": "noop"}}}}},
    "components": {"comp-noop": {"executorLabel": "exec-noop"}},
    "deploymentSpec": {"executors": {"exec-noop": {"container": {"image": "alpine", "command": ["true"]}}}},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir):
    port = free_port()
    proc = subprocess.Popen([BINARY, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", data_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not become ready")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def fill(data_dir, count):
    db = sqlite3.connect(os.path.join(data_dir, "ferroflow.db"))
    exp = str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    db.execute("INSERT INTO experiments (id, namespace, display_name, created_at) VALUES (?, 'default', 'bench', ?)",
               (exp, now.isoformat()))
    start_at = now - timedelta(seconds=count)
    rng = random.Random(7)

    def rows():
        for i in range(count):
            created = (start_at + timedelta(seconds=i, microseconds=rng.randrange(1000))).isoformat()
            state = "FAILED" if rng.random() < 0.1 else "SUCCEEDED"
            yield (str(uuid.uuid4()), f"tiny-{i}", state, created, created, f"run-{i}", exp)

    db.executemany(
        "INSERT INTO runs (id, namespace, name, state, plan, parameters, created_at, finished_at, display_name, experiment_id)"
        " VALUES (?, 'default', ?, ?, '{}', '{}', ?, ?, ?, ?)", rows())
    db.commit()
    db.execute("ANALYZE")
    db.close()


def percentiles(samples):
    samples = sorted(samples)
    return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


def timed_gets(port, paths):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    samples = []
    for path in paths:
        t = time.perf_counter()
        conn.request("GET", path)
        body = conn.getresponse().read()
        samples.append(time.perf_counter() - t)
        json.loads(body)
    return percentiles(samples)


def list_path(filter_=None, token="", sort="created_at desc"):
    query = {"page_size": "20", "sort_by": sort}
    if filter_:
        query["filter"] = json.dumps({"predicates": [filter_]})
    if token:
        query["page_token"] = token
    return "/apis/v2beta1/runs?" + urllib.parse.urlencode(query)


def deep_pages(port, filter_, pages):
    """Paths of `pages` consecutive pages, gathered by walking the tokens."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    paths, token = [], ""
    for _ in range(pages):
        path = list_path(filter_, token)
        paths.append(path)
        conn.request("GET", path)
        token = json.loads(conn.getresponse().read()).get("next_page_token", "")
        if not token:
            break
    return paths


def bench_lists(count):
    data_dir = tempfile.mkdtemp(prefix="ff-bench-")
    try:
        proc, _ = start(data_dir)
        stop(proc)
        t = time.perf_counter()
        fill(data_dir, count)
        print(f"\n{count:,} runs written in {time.perf_counter() - t:.1f} s")
        proc, port = start(data_dir)
        failed = {"key": "state", "operation": "EQUALS", "string_value": "FAILED"}
        rng = random.Random(1)
        cases = {
            "state = FAILED, first page": [list_path(failed)] * REQUESTS,
            "state = FAILED, pages 1-100 by token": deep_pages(port, failed, 100) * (REQUESTS // 100),
            "display_name = run-<random>": [list_path({"key": "display_name", "operation": "EQUALS",
                                                        "string_value": f"run-{rng.randrange(count)}"})
                                            for _ in range(REQUESTS)],
            "no filter, first page": [list_path()] * REQUESTS,
        }
        for name, paths in cases.items():
            p50, p99 = timed_gets(port, paths)
            print(f"  list runs, {name:40s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({len(paths)} requests)")
        stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bench_create():
    data_dir = tempfile.mkdtemp(prefix="ff-bench-")
    try:
        proc, port = start(data_dir)
        body = json.dumps({"display_name": "bench", "pipeline_spec": TINY})
        headers = {"content-type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", port)
        samples = []
        for _ in range(200):
            t = time.perf_counter()
            conn.request("POST", "/apis/v2beta1/runs", body, headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            samples.append(time.perf_counter() - t)
        p50, p99 = percentiles(samples)
        print(f"\ncreate_run (sequential, 200): p50 {p50:.2f} ms  p99 {p99:.2f} ms")

        created, stop_at = [0], time.monotonic() + 5

        def submit():
            c = http.client.HTTPConnection("127.0.0.1", port)
            while time.monotonic() < stop_at:
                c.request("POST", "/apis/v2beta1/runs", body, headers)
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    created[0] += 1

        threads = [threading.Thread(target=submit) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        print(f"create_run throughput, 8 clients for 5 s: {created[0] / 5:.0f} runs/s (each run also executes its step)")
        stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run cargo xtask build --release first")
    for size in SIZES:
        bench_lists(size)
    bench_create()
