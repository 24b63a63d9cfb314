"""Dynamic fan-out as users write it: ParallelFor over a task's output list
(of numbers, of dicts), nested loops, Collected fan-in of parameters and of
artifacts, and a loop over a list of artifacts. A parameter is named `n`."""
from typing import Dict, List, NamedTuple

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def make_list(n: int) -> List[int]:
    return list(range(1, n + 1))


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def make_configs(n: int) -> List[Dict[str, int]]:
    return [{"lr": i, "on": i % 2} for i in range(n)]


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def double(x: int) -> int:
    return 2 * x


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def multiply(x: int, y: int) -> int:
    return x * y


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def describe(lr: int, on: int) -> str:
    return f"lr={lr} on={on}"


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def total(values: List[int]) -> int:
    return sum(values)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def join(words: List[str]) -> str:
    return ",".join(sorted(words))


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def write(x: int, data: Output[Dataset]):
    with open(data.path, "w") as f:
        f.write(str(x))
    data.metadata["x"] = x


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def read_all(data: Input[List[Dataset]]) -> int:
    # kfp's executor passes None for an empty list of artifacts.
    return sum(int(open(d.path).read()) for d in data or [])


Results = NamedTuple("Results", [("doubled", int), ("products", int), ("words", str), ("data", int)])


@dsl.pipeline(name="dynamic")
def dynamic(n: int = 3) -> Results:
    numbers = make_list(n=n)
    with dsl.ParallelFor(numbers.output) as x:
        doubled = double(x=x)
        with dsl.ParallelFor([10, 100]) as y:
            product = multiply(x=x, y=y)
        written = write(x=doubled.output)
    doubled_sum = total(values=dsl.Collected(doubled.output)).set_display_name("sum-doubled")
    products_sum = total(values=dsl.Collected(product.output)).set_display_name("sum-products")
    configs = make_configs(n=n)
    with dsl.ParallelFor(configs.output, parallelism=2) as config:
        described = describe(lr=config.lr, on=config.on)
    words = join(words=dsl.Collected(described.output))
    data = read_all(data=dsl.Collected(written.outputs["data"]))
    return Results(doubled=doubled_sum.output, products=products_sum.output, words=words.output, data=data.output)


if __name__ == "__main__":
    compiler.Compiler().compile(dynamic, "dynamic.yaml")
