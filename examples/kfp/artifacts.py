"""A Dataset is written by one step and trained on by the next; a container step reads it."""
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def make_data(rows: int, data: Output[Dataset]):
    with open(data.path, "w") as f:
        for i in range(rows):
            f.write(f"{i},{i * 2}\n")
    data.metadata["rows"] = rows


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def train(data: Input[Dataset], model: Output[Model]) -> float:
    total = 0
    with open(data.path) as f:
        for line in f:
            x, y = line.strip().split(",")
            total += int(y) / max(int(x), 1)
    with open(model.path, "w") as f:
        f.write(f"slope={total}")
    return total


@dsl.container_component
def count_lines(data: Input[Dataset]):
    return dsl.ContainerSpec(image="alpine", command=["wc", "-l"], args=[data.path])


@dsl.pipeline(name="artifacts")
def artifacts(rows: int = 5):
    data = make_data(rows=rows)
    train(data=data.outputs["data"])
    count_lines(data=data.outputs["data"])


if __name__ == "__main__":
    compiler.Compiler().compile(artifacts, "artifacts.yaml")
