"""Pythonic artifacts: components that return a Dataset or Model they made
themselves (`dsl.get_uri()`), read downstream with their metadata."""
from kfp import compiler, dsl
from kfp.dsl import Dataset, Model


@dsl.component(base_image="python:3.11")
def make_data(n: int) -> Dataset:
    dataset = Dataset(uri=dsl.get_uri())
    with open(dataset.path, "w") as f:
        f.write("x" * n)
    dataset.metadata["length"] = n
    return dataset


@dsl.component(base_image="python:3.11")
def train(dataset: Dataset) -> Model:
    with open(dataset.path) as f:
        text = f.read()
    assert dataset.metadata["length"] == len(text), (dataset.metadata, len(text))
    model = Model(uri=dsl.get_uri("model"))
    with open(model.path, "w") as f:
        f.write(f"trained on {len(text)}")
    return model


@dsl.component(base_image="python:3.11")
def read_model(model: Model) -> str:
    with open(model.path) as f:
        return f.read()


@dsl.pipeline(name="pythonic")
def pythonic(n: int = 5) -> str:
    data = make_data(n=n)
    model = train(dataset=data.output)
    return read_model(model=model.output).output


if __name__ == "__main__":
    compiler.Compiler().compile(pythonic, __file__.replace(".py", ".yaml"))
