"""Hera 7 (from PyPI, in .venv) against a real Ferroflow as its Argo server:
a DAG with parameters and a loop is built, submitted, waited for and its
outputs read; lint, list, logs and delete go through the same API."""
import json
import os
import unittest

import requests

from hera.workflows import DAG, Parameter, Workflow, WorkflowsService, script
from hera.workflows.models import WorkflowStatus as _  # noqa: F401  (the models hera parses answers into)

HOST = os.environ["ARGO_HOST"]


@script(image="python:3.11", outputs=[Parameter(name="n", value_from={"path": "/tmp/n"})])
def count(y: int):
    import json

    open("/tmp/n", "w").write(str(y))
    print(json.dumps(list(range(1, y + 1))))


@script(image="python:3.11")
def square(x: int):
    print(x * x)


@script(image="python:3.11", outputs=[Parameter(name="total", value_from={"path": "/tmp/total"})])
def total(values):
    import json

    items = values if isinstance(values, list) else json.loads(values)
    assert items == [1, 4, 9], items  # Argo keeps each result that is JSON as JSON
    open("/tmp/total", "w").write(str(sum(items)))


def build(service):
    with Workflow(
        generate_name="hera-loop-",
        entrypoint="main",
        namespace="default",
        workflows_service=service,
        arguments=[Parameter(name="y", value="3")],
    ) as w:
        with DAG(name="main", inputs=[Parameter(name="y")]):
            c = count(arguments={"y": "{{inputs.parameters.y}}"})
            s = square(with_param=c.result, arguments={"x": "{{item}}"})
            t = total(arguments={"values": s.result})
            c >> s >> t
    return w


class HeraAgainstFerroflow(unittest.TestCase):
    def setUp(self):
        self.service = WorkflowsService(host=HOST, namespace="default", verify_ssl=False)

    def test_a_dag_with_a_loop_runs_and_its_outputs_are_read(self):
        w = build(self.service)
        created = w.create(wait=False)
        self.assertTrue(created.metadata.name.startswith("hera-loop-"))
        w.name = created.metadata.name
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        nodes = {n.display_name: n for n in done.status.nodes.values()}
        self.assertEqual(nodes["count"].outputs.parameters[0].value, "3")
        self.assertEqual(nodes["total"].outputs.parameters[0].value, "14")
        self.assertEqual(nodes["count"].type, "Pod")
        listed = self.service.list_workflows(namespace="default")
        self.assertIn(w.name, [i.metadata.name for i in listed.items])
        # The log stream as the argo CLI reads it: one {"result": {...}} per line.
        stream = requests.get(f"{HOST}/api/v1/workflows/default/{w.name}/log", timeout=30)
        lines = [json.loads(line)["result"] for line in stream.text.splitlines()]
        self.assertIn("9", [entry["content"] for entry in lines])
        self.assertTrue(all(entry["podName"] for entry in lines))
        self.service.delete_workflow(w.name, namespace="default")
        with self.assertRaises(Exception):
            self.service.get_workflow(w.name, namespace="default")

    def test_a_stored_template_is_used_through_template_ref(self):
        from hera.workflows import Task, WorkflowTemplate
        from hera.workflows.models import TemplateRef

        with WorkflowTemplate(name="hera-shared", namespace="default", workflows_service=self.service) as t:
            square()
        t.create()
        stored = self.service.get_workflow_template("hera-shared", namespace="default")
        self.assertEqual(stored.metadata.name, "hera-shared")
        with Workflow(generate_name="hera-ref-", entrypoint="main", namespace="default", workflows_service=self.service) as w:
            with DAG(name="main"):
                Task(name="sq", template_ref=TemplateRef(name="hera-shared", template="square"), arguments={"x": "7"})
        created = w.create(wait=False)
        w.name = created.metadata.name
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        nodes = {n.display_name: n for n in done.status.nodes.values()}
        self.assertEqual(nodes["sq"].outputs.result, "49")
        self.service.delete_workflow_template("hera-shared", namespace="default")
        with self.assertRaises(Exception) as missing:
            Workflow(generate_name="hera-ref-", entrypoint="main", namespace="default", workflows_service=self.service,
                     templates=w.templates).create(wait=False)
        self.assertIn('task main/sq: templateRef: no WorkflowTemplate named "hera-shared"', str(missing.exception))

    def test_a_gate_is_answered_through_set_after_the_workflow_was_suspended(self):
        import time

        from hera.workflows import Container, Step, Steps, Suspend
        from hera.workflows.models import WorkflowSetRequest, WorkflowSuspendRequest

        with Workflow(generate_name="hera-gate-", entrypoint="main", namespace="default",
                      workflows_service=self.service) as w:
            gate = Suspend(
                name="gate",
                inputs=[Parameter(name="approve", default="NO", enum=["YES", "NO"])],
                outputs=[Parameter(name="approve", value_from={"supplied": {}})],
            )
            say = Container(name="say", image="alpine:3.20", command=["echo", "deployed"])
            with Steps(name="main"):
                gate(name="approve")
                Step(name="deploy", template=say, when="{{steps.approve.outputs.parameters.approve}} == YES")
        w.name = w.create(wait=False).metadata.name
        deadline = time.monotonic() + 60
        while True:  # until the gate waits (bounded)
            nodes = self.service.get_workflow(w.name, namespace="default").status.nodes or {}
            if any(n.display_name == "approve" and n.phase == "Running" for n in nodes.values()):
                break
            self.assertLess(time.monotonic(), deadline, "the gate never waited")
            time.sleep(0.2)
        suspended = self.service.suspend_workflow(w.name, WorkflowSuspendRequest(), namespace="default")
        self.assertTrue(suspended.spec.suspend)
        answer = WorkflowSetRequest(node_field_selector="displayName=approve", output_parameters='{"approve": "YES"}')
        self.service.set_workflow(w.name, answer, namespace="default")
        done = w.wait(poll_interval=1)
        self.assertEqual(done.status.phase, "Succeeded", done.status.message)
        nodes = {n.display_name: n for n in done.status.nodes.values()}
        self.assertEqual(nodes["approve"].outputs.parameters[0].value, "YES")
        self.assertEqual(nodes["deploy"].phase, "Succeeded")

    def test_lint_names_the_problem(self):
        w = build(self.service)
        w.lint()
        broken = build(self.service)
        broken.entrypoint = "nowhere"
        with self.assertRaises(Exception) as refused:
            broken.lint()
        self.assertIn("no template named \"nowhere\"", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
