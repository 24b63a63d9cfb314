"""A linear chain of lightweight Python components passing parameters."""
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def greet(name: str, times: int) -> str:
    return " ".join([f"hello {name}"] * times)


@dsl.pipeline(name="linear", description="Adds numbers, then greets.")
def linear(name: str = "world", x: int = 1) -> str:
    first = add(a=x, b=2)
    second = add(a=first.output, b=3)
    return greet(name=name, times=second.output).output


if __name__ == "__main__":
    compiler.Compiler().compile(linear, "linear.yaml")
