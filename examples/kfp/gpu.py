"""A training step that asks for a GPU, as users write it."""
from kfp import compiler, dsl


@dsl.component(base_image="pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", install_kfp_package=False)
def train(epochs: int) -> str:
    import os
    return os.environ.get("CUDA_VISIBLE_DEVICES", "")


@dsl.pipeline(name="gpu-training")
def gpu_training(epochs: int = 1) -> str:
    return train(epochs=epochs).set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1).output


if __name__ == "__main__":
    compiler.Compiler().compile(gpu_training, "gpu.yaml")
