"""Scenarios for the real kfp client and CLI against a running Ferroflow.

Run by server/tests/kfp_client.rs with KFP_HOST set to the server's URL and
the current directory at the repository root. Every wait is on the server's
answer (wait_for_run_completion or polling a state), never a fixed sleep.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

warnings.simplefilter("ignore", FutureWarning)

import kfp  # noqa: E402
from kfp_server_api import ApiException  # noqa: E402
from kfp import compiler, dsl  # noqa: E402

HOST = os.environ["KFP_HOST"].rstrip("/")
LINEAR = "examples/kfp/linear.yaml"
ARTIFACTS = "examples/kfp/artifacts.yaml"
TIMEOUT = 120


@dsl.component(install_kfp_package=False)
def double(x: int) -> int:
    return 2 * x


@dsl.pipeline(name="double-it")
def double_pipeline(x: int = 3):
    double(x=x)


@dsl.container_component
def sleeper():
    return dsl.ContainerSpec(image="alpine", command=["sleep", "300"])


@dsl.pipeline(name="sleeps")
def sleep_pipeline():
    sleeper()


@dsl.component(install_kfp_package=False)
def first_step() -> str:
    return "ok"


@dsl.component(install_kfp_package=False)
def fails_once(marker: str, upstream: str) -> str:
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("failing the first time on purpose")
    return upstream + " again"


@dsl.pipeline(name="flaky")
def flaky_pipeline(marker: str):
    first = first_step().set_caching_options(False)
    fails_once(marker=marker, upstream=first.output).set_caching_options(False)


def client():
    return kfp.Client(host=HOST)


def wait_for_state(c, run_id, states):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        run = c.get_run(run_id)
        if run.state in states:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {states}: {run.state}")


def message(exception):
    """The message of a KFP-shaped error answer."""
    return json.loads(exception.body)["message"]


def name_filter(key, value):
    return json.dumps({"predicates": [{"key": key, "operation": "EQUALS", "string_value": value}]})


class PipelinesAndVersions(unittest.TestCase):
    def test_upload_version_list_and_delete(self):
        c = client()
        pipeline = c.upload_pipeline(LINEAR, pipeline_name="linear-versions", description="the linear example")
        self.assertEqual(c.get_pipeline_id("linear-versions"), pipeline.pipeline_id)
        self.assertEqual(c.get_pipeline(pipeline.pipeline_id).description, "the linear example")
        version = c.upload_pipeline_version(ARTIFACTS, pipeline_version_name="v2", pipeline_id=pipeline.pipeline_id)
        versions = c.list_pipeline_versions(pipeline.pipeline_id, page_size=10).pipeline_versions
        self.assertEqual(len(versions), 2)
        self.assertIn("v2", [v.display_name for v in versions])
        fetched = c.get_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id)
        self.assertEqual(fetched.pipeline_spec["pipelineInfo"]["name"], "artifacts")

        c.delete_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id)
        self.assertEqual(len(c.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions), 1)
        with self.assertRaises(ApiException) as refused:
            c.delete_pipeline(pipeline.pipeline_id)
        self.assertIn("still has 1 version", message(refused.exception))
        c._pipelines_api.pipeline_service_delete_pipeline(pipeline.pipeline_id, cascade=True)
        self.assertIsNone(c.get_pipeline_id("linear-versions"))

    def test_an_invalid_spec_is_refused_and_leaves_nothing(self):
        c = client()
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as bad:
            bad.write("pipelineInfo: {name: broken}\nroot:\n  dag:\n    tasks:\n      a: {componentRef: {name: nowhere}}\n")
            bad.flush()
            with self.assertRaises(ApiException) as refused:
                c.upload_pipeline(bad.name, pipeline_name="broken")
        self.assertEqual(refused.exception.status, 400)
        self.assertIn("nowhere", message(refused.exception))
        self.assertIsNone(c.get_pipeline_id("broken"))


class Runs(unittest.TestCase):
    def test_run_from_package_waits_and_shows_tasks_and_artifacts(self):
        c = client()
        exp = c.create_experiment("artifacts-exp")
        result = c.create_run_from_pipeline_package(ARTIFACTS, arguments={}, experiment_name="artifacts-exp")
        run = result.wait_for_run_completion(timeout=TIMEOUT)
        self.assertEqual(run.state, "SUCCEEDED")
        self.assertEqual(run.experiment_id, exp.experiment_id)
        self.assertEqual([s.state for s in run.state_history][-1], "SUCCEEDED")
        run = c.get_run(result.run_id)
        tasks = {t.display_name: t for t in run.run_details.task_details}
        self.assertTrue(all(t.state == "SUCCEEDED" for t in tasks.values()), tasks)
        with_outputs = [t for t in tasks.values() if t.outputs]
        self.assertTrue(with_outputs, "some task wrote an artifact")
        task = with_outputs[0]
        name = next(iter(task.outputs))
        self.assertTrue(task.outputs[name].artifact_ids)
        read = c._run_api.api_client.call_api(
            f"/apis/v2beta1/runs/{run.run_id}/nodes/{task.task_id}/artifacts/{name}:read",
            "GET", response_type="object", _return_http_data_only=True)
        self.assertTrue(read["data"])
        logs = c._run_api.api_client.call_api(
            "/k8s/pod/logs", "GET", query_params=[("podname", task.pod_name), ("podnamespace", "")],
            response_type="str", _return_http_data_only=True)
        self.assertIsInstance(logs, str)

    def test_run_from_pipeline_func_with_arguments(self):
        c = client()
        result = c.create_run_from_pipeline_func(double_pipeline, arguments={"x": 21}, run_name="double-21")
        run = result.wait_for_run_completion(timeout=TIMEOUT)
        self.assertEqual(run.state, "SUCCEEDED")
        self.assertEqual(run.display_name, "double-21")
        self.assertEqual(run.runtime_config.parameters, {"x": 21})

    def test_wrong_parameter_type_is_named(self):
        c = client()
        with self.assertRaises(ApiException) as refused:
            c.create_run_from_pipeline_func(double_pipeline, arguments={"x": "many"})
        self.assertEqual(refused.exception.status, 400)
        self.assertIn('parameter "x": "many" is not', message(refused.exception))

    def test_list_runs_filters_sorts_and_pages_through_everything(self):
        c = client()
        exp = c.create_experiment("paging")
        ids = []
        for i in range(5):
            r = c.create_run_from_pipeline_package(LINEAR, arguments={}, run_name=f"page-{i}", experiment_name="paging")
            ids.append(r.run_id)
        seen, token = [], ""
        while True:
            page = c.list_runs(experiment_id=exp.experiment_id, page_size=2, page_token=token, sort_by="created_at")
            seen += [r.run_id for r in page.runs or []]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(seen, ids)
        by_name = c.list_runs(experiment_id=exp.experiment_id, sort_by="display_name desc")
        self.assertEqual([r.display_name for r in by_name.runs], [f"page-{i}" for i in reversed(range(5))])
        only = c.list_runs(filter=name_filter("display_name", "page-3"))
        self.assertEqual([r.run_id for r in only.runs], [ids[3]])
        with self.assertRaises(ApiException) as refused:
            c.list_runs(filter='{"predicates": [{"key": "colour", "operation": "EQUALS", "string_value": "red"}]}')
        self.assertEqual(refused.exception.status, 400)
        self.assertIn('by "colour"', message(refused.exception))
        for run_id in ids:
            c.wait_for_run_completion(run_id, TIMEOUT)

    def test_terminate_then_archive_and_delete(self):
        c = client()
        result = c.create_run_from_pipeline_func(sleep_pipeline, arguments={})
        wait_for_state(c, result.run_id, {"RUNNING"})
        c.terminate_run(result.run_id)
        run = wait_for_state(c, result.run_id, {"CANCELED", "FAILED", "SUCCEEDED"})
        self.assertEqual(run.state, "CANCELED")
        c.archive_run(result.run_id)
        self.assertEqual(c.get_run(result.run_id).storage_state, "ARCHIVED")
        c.unarchive_run(result.run_id)
        c.delete_run(result.run_id)
        with self.assertRaises(ApiException) as gone:
            c.get_run(result.run_id)
        self.assertEqual(gone.exception.status, 404)

    def test_retry_reruns_only_what_failed(self):
        c = client()
        with tempfile.TemporaryDirectory() as scratch:
            marker = os.path.join(scratch, "marker")
            result = c.create_run_from_pipeline_func(flaky_pipeline, arguments={"marker": marker})
            run = result.wait_for_run_completion(timeout=TIMEOUT)
            self.assertEqual(run.state, "FAILED")
            first = {t.display_name: t for t in c.get_run(result.run_id).run_details.task_details}
            c._run_api.run_service_retry_run(result.run_id)
            run = wait_for_state(c, result.run_id, {"SUCCEEDED", "FAILED", "CANCELED"})
            self.assertEqual(run.state, "SUCCEEDED")
            again = {t.display_name: t for t in c.get_run(result.run_id).run_details.task_details}
            self.assertEqual(again["first-step"].end_time, first["first-step"].end_time)
            self.assertEqual(again["fails-once"].state, "SUCCEEDED")


class RecurringRuns(unittest.TestCase):
    def test_a_periodic_recurring_run_fires_and_can_be_disabled(self):
        c = client()
        exp = c.create_experiment("recurring")
        job = c.create_recurring_run(exp.experiment_id, "every-second", pipeline_package_path=LINEAR,
                                     interval_second=1, max_concurrency=2, no_catchup=True)
        self.assertEqual(c.get_recurring_run(job.recurring_run_id).status, "ENABLED")
        deadline = time.monotonic() + TIMEOUT
        fired = []
        while not fired and time.monotonic() < deadline:
            fired = c.list_runs(filter=name_filter("recurring_run_id", job.recurring_run_id)).runs or []
            time.sleep(0.2)
        self.assertTrue(fired, "the recurring run fired")
        self.assertEqual(fired[0].recurring_run_id, job.recurring_run_id)
        c.disable_recurring_run(job.recurring_run_id)
        self.assertEqual(c.get_recurring_run(job.recurring_run_id).status, "DISABLED")
        jobs = c.list_recurring_runs(experiment_id=exp.experiment_id).recurring_runs
        self.assertEqual([j.recurring_run_id for j in jobs], [job.recurring_run_id])
        c.delete_recurring_run(job.recurring_run_id)
        with self.assertRaises(ApiException):
            c.get_recurring_run(job.recurring_run_id)
        for run in fired:
            c.wait_for_run_completion(run.run_id, TIMEOUT)

    def test_a_bad_cron_is_named(self):
        c = client()
        exp = c.create_experiment("bad-cron")
        with self.assertRaises(ApiException) as refused:
            c.create_recurring_run(exp.experiment_id, "bad", pipeline_package_path=LINEAR, cron_expression="every day")
        self.assertIn('invalid cron_schedule.cron "every day"', message(refused.exception))


class Experiments(unittest.TestCase):
    def test_create_get_archive_delete(self):
        c = client()
        exp = c.create_experiment("to-delete", description="scratch")
        self.assertEqual(c.get_experiment(experiment_name="to-delete").experiment_id, exp.experiment_id)
        c.archive_experiment(exp.experiment_id)
        self.assertEqual(c.get_experiment(exp.experiment_id).storage_state, "ARCHIVED")
        c.unarchive_experiment(exp.experiment_id)
        c.delete_experiment(exp.experiment_id)
        with self.assertRaises(ApiException):
            c.get_experiment(exp.experiment_id)


class CommandLine(unittest.TestCase):
    def kfp(self, *args):
        cli = os.path.join(os.path.dirname(sys.executable), "kfp")
        done = subprocess.run([cli, "--endpoint", HOST, "--output", "json", *args],
                              capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_pipeline_upload_run_create_and_run_list(self):
        out = self.kfp("pipeline", "create", "-p", "cli-linear", LINEAR)
        self.assertIn("cli-linear", out)
        out = self.kfp("run", "create", "-e", "cli", "-r", "cli-run", "-f", LINEAR, "-w", "-t", str(TIMEOUT))
        self.assertIn("SUCCEEDED", out)
        runs = json.loads(self.kfp("run", "list", "-m", "100"))
        self.assertIn("cli-run", [r.get("display_name") for r in runs])


if __name__ == "__main__":
    unittest.main()
