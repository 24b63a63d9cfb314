"""A pipeline used as a component of another pipeline."""
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def double(x: int) -> int:
    return 2 * x


@dsl.pipeline(name="inner")
def inner(x: int) -> int:
    return double(x=double(x=x).output).output


@dsl.pipeline(name="nested")
def nested(x: int = 3) -> int:
    first = inner(x=x)
    return double(x=first.output).output


if __name__ == "__main__":
    compiler.Compiler().compile(nested, "nested.yaml")
