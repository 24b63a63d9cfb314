"""ParallelFor with Collected fan-in, a condition, an exit handler, retries and caching."""
from typing import List

from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def square(x: int) -> int:
    return x * x


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def total(values: List[int]) -> int:
    return sum(values)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def announce(message: str):
    print(message)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def flaky(marker: str) -> str:
    import os
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt fails on purpose")
    return "recovered"


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def cleanup(status: dsl.PipelineTaskFinalStatus):
    print("pipeline finished:", status.state)


@dsl.pipeline(name="control")
def control(items: List[int] = [1, 2, 3], threshold: int = 10, marker: str = "/tmp/ferroflow-flaky-marker"):
    exit_task = cleanup()
    with dsl.ExitHandler(exit_task):
        with dsl.ParallelFor(items, parallelism=2) as item:
            sq = square(x=item)
        summed = total(values=dsl.Collected(sq.output))
        with dsl.If(summed.output > threshold):
            announce(message="big")
        with dsl.Else():
            announce(message="small")
        retried = flaky(marker=marker).set_retry(num_retries=2, backoff_duration="0s")
        retried.set_caching_options(False)


if __name__ == "__main__":
    compiler.Compiler().compile(control, "control.yaml")
