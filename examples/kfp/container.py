"""Container components: placeholders, Concat, IfPresent and an output parameter file."""
from typing import Optional

from kfp import compiler, dsl


@dsl.container_component
def say(greeting: str, name: str, out: dsl.OutputPath(str), suffix: Optional[str] = None):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'mkdir -p "$(dirname "$0")" && echo "$1" | tee "$0"'],
        args=[
            out,
            dsl.ConcatPlaceholder([greeting, ", ", name]),
            dsl.IfPresentPlaceholder(input_name="suffix", then=["--suffix", suffix], else_=["--no-suffix"]),
        ],
    )


@dsl.container_component
def echo(text: str):
    return dsl.ContainerSpec(image="alpine", command=["echo"], args=[text])


@dsl.pipeline(name="container")
def container(name: str = "Ada"):
    said = say(greeting="Hello", name=name)
    echo(text=said.outputs["out"])


if __name__ == "__main__":
    compiler.Compiler().compile(container, "container.yaml")
