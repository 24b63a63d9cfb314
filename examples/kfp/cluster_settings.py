"""What pipelines written for a cluster carry, run on one machine: an
importer, a loop over a list of artifacts, a container component reading a
list of artifacts and an output's metadata, resources set from pipeline
parameters, and Kubernetes platform settings (secrets, a PVC, a node
selector, a toleration, an image pull secret, a config map) that a local run
keeps and reports as not applied. Needs `pip install kfp-kubernetes` to compile."""
from typing import List

from kfp import compiler, dsl, kubernetes
from kfp.dsl import Artifact, Dataset, Input, Output


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def split(text: str, part: Output[Dataset]):
    with open(part.path, "w") as f:
        f.write(text)
    part.metadata["length"] = len(text)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def measure(part: Input[Dataset]) -> int:
    return len(open(part.path).read())


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def count(numbers: List[int]) -> int:
    return sum(numbers)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def read_text(data: Input[Artifact]) -> str:
    return open(data.path).read().strip()


@dsl.container_component
def cat_all(parts: Input[List[Dataset]], joined: Output[Dataset]):
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'printf "%s" "$0" > "$1"'],
        args=[parts, joined.path],
    )


@dsl.pipeline
def make_parts() -> List[Dataset]:
    with dsl.ParallelFor(["ab", "cde", "f"]) as piece:
        part = split(text=piece)
    return dsl.Collected(part.outputs["part"])


@dsl.pipeline(name="cluster-settings")
def cluster_settings(source_uri: str, cpu: str = "500m", memory: str = "256M") -> str:
    imported = dsl.importer(
        artifact_uri=source_uri, artifact_class=Artifact, reimport=False, metadata={"origin": "upload"}
    )
    text = read_text(data=imported.output).set_cpu_limit(cpu).set_memory_limit(memory)
    kubernetes.use_secret_as_env(text, secret_name="creds", secret_key_to_env={"token": "TOKEN"})
    kubernetes.mount_pvc(text, pvc_name="shared", mount_path="/data")
    kubernetes.add_node_selector(text, label_key="pool", label_value="gpu")
    kubernetes.add_toleration(text, key="gpu", operator="Exists", effect="NoSchedule")
    kubernetes.set_image_pull_secrets(text, ["regcred"])
    kubernetes.use_config_map_as_env(text, config_map_name="settings", config_map_key_to_env={"mode": "MODE"})
    parts = make_parts()
    with dsl.ParallelFor(parts.output) as each:
        lengths = measure(part=each)
    count(numbers=dsl.Collected(lengths.output))
    cat_all(parts=parts.output)
    return text.output


if __name__ == "__main__":
    compiler.Compiler().compile(cluster_settings, "cluster_settings.yaml")
