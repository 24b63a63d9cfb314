"""A 52-step fan-out of lightweight Python components, for the engine benchmark."""
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def work(i: int) -> int:
    return sum(range(i * 1000))


@dsl.pipeline(name="fanout52")
def fanout52():
    for i in range(52):
        work(i=i).set_caching_options(False)


if __name__ == "__main__":
    compiler.Compiler().compile(fanout52, "fanout52.yaml")
