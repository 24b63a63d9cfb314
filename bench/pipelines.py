"""Pipeline engine benchmark: ferroflow against kfp.local, interleaved.

Run with the kfp virtualenv's Python (`cargo xtask bench-pipelines` does):
  1. the 52-step fan-out (fanout52.yaml) under kfp.local's SubprocessRunner
     (use_venv=False) and under `ferroflow run`, alternately, ROUNDS times;
  2. engine overhead per step: N trivial steps one at a time under
     ferroflow, against spawning the same process N times directly;
  3. scheduling throughput: a 5,000-task fan-out of /bin/true.
Figures only; nothing here asserts a time.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FERROFLOW = sys.argv[1]
ROUNDS = int(os.environ.get("ROUNDS", "3"))
VENV_BIN = os.path.dirname(sys.executable)


def ferroflow_run(spec, data_dir):
    env = dict(os.environ, FERROFLOW_DEFAULT_RUNTIME=VENV_BIN)
    start = time.perf_counter()
    out = subprocess.run([FERROFLOW, "run", spec, "--json", "--data-dir", data_dir], env=env,
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    report = json.loads(out.stdout)
    assert report["state"] == "SUCCEEDED", out.stderr[-2000:]
    return elapsed, report


def kfp_local_run(module_dir):
    code = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from kfp import local\n"
        "local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=%r)\n"
        "import fanout\n"
        "t = time.perf_counter(); fanout.fanout52(); print(time.perf_counter() - t)\n"
    ) % (module_dir, tempfile.mkdtemp(prefix="kfp-local-"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=module_dir)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(out.stdout.strip().splitlines()[-1])


def trivial_fanout(n, parallelism=None):
    spec = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "trivial"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "t", "template": "true", "withItems": list(range(n))}]]},
            {"name": "true", "container": {"image": "none", "command": ["/bin/true"]}},
        ]},
    }
    if parallelism:
        spec["spec"]["templates"][0]["parallelism"] = parallelism
    path = os.path.join(tempfile.mkdtemp(prefix="ff-bench-"), "trivial.yaml")
    with open(path, "w") as f:
        json.dump(spec, f)  # JSON is YAML
    return path


def main():
    subprocess.run([sys.executable, "fanout.py"], cwd=HERE, check=True)
    spec = os.path.join(HERE, "fanout52.yaml")
    sys.path.insert(0, HERE)
    ff, kl = [], []
    for r in range(ROUNDS):
        kl.append(kfp_local_run(HERE))
        ff.append(ferroflow_run(spec, tempfile.mkdtemp(prefix="ff-bench-"))[0])
        print(f"round {r + 1}: kfp.local {kl[-1]:.2f} s, ferroflow {ff[-1]:.2f} s", flush=True)
    print(f"52-step fan-out: kfp.local median {statistics.median(kl):.2f} s, "
          f"ferroflow median {statistics.median(ff):.2f} s, "
          f"ratio {statistics.median(ff) / statistics.median(kl):.2f}")

    n = 300
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(["/bin/true"], check=True)
    direct = (time.perf_counter() - start) / n
    elapsed, _ = ferroflow_run(trivial_fanout(n, parallelism=1), tempfile.mkdtemp(prefix="ff-bench-"))
    per_step = elapsed / n
    print(f"overhead: {n} sequential /bin/true steps, {per_step * 1000:.2f} ms/step under ferroflow "
          f"vs {direct * 1000:.2f} ms/process direct: {(per_step - direct) * 1000:.2f} ms/step engine overhead "
          f"(includes ferroflow start-up and the supervisor process)")

    n = int(os.environ.get("FANOUT", "5000"))
    elapsed, report = ferroflow_run(trivial_fanout(n), tempfile.mkdtemp(prefix="ff-bench-"))
    print(f"throughput: {n}-task /bin/true fan-out in {elapsed:.2f} s = {n / elapsed:.0f} steps/s "
          f"({len(report['tasks'])} tasks recorded)")


if __name__ == "__main__":
    main()
