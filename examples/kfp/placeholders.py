"""Run placeholders passed as arguments (KFP's backend fills them in), and
an exit handler reading how the steps it guards ended."""
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11")
def show(job_name: str, resource_name: str, job_id: str, task_name: str, task_id: str) -> str:
    return "|".join([job_name, resource_name, job_id, task_name, task_id])


@dsl.component(base_image="python:3.11")
def fail_if(y: bool):
    if y:
        raise SystemExit(1)


@dsl.component(base_image="python:3.11")
def report(status: dsl.PipelineTaskFinalStatus) -> str:
    line = f"{status.state} {status.pipeline_task_name}"
    print(line)
    return line


@dsl.pipeline(name="placeholders")
def placeholders(y: bool = False):
    final = report()
    with dsl.ExitHandler(final):
        show(
            job_name=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
            resource_name=dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
            job_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
            task_name=dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
            task_id=dsl.PIPELINE_TASK_ID_PLACEHOLDER,
        )
        fail_if(y=y)


if __name__ == "__main__":
    compiler.Compiler().compile(placeholders, __file__.replace(".py", ".yaml"))
