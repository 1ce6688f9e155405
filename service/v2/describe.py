"""What the protocol says about the server and its models, for both transports (REST and gRPC).

Model metadata and Triton's model configuration are built once here, as the REST schemas' documents;
the gRPC service turns the same documents into its messages, so the two can never disagree.
"""

from __future__ import annotations

from service.config import Settings
from service.errors import ModelNotFound
from service.inference.runtime import CUDA
from service.inference.versions import LoadedModel
from service.state import ServiceState
from service.v2.codec import DATATYPE, OUTPUT, OUTPUT_TYPES, UNCERTAIN
from service.v2.schemas import (
    ConfigTensor,
    DynamicBatching,
    InstanceGroup,
    ModelConfig,
    ModelMetadata,
    TensorMetadata,
)

SERVER_NAME = "digit-service"
PLATFORM, BACKEND = "onnxruntime_onnx", "onnxruntime"


def model_metadata(state: ServiceState, model: LoadedModel) -> ModelMetadata:
    sidecar = model.runtime.sidecar
    return ModelMetadata(
        name=model.name,
        versions=[str(v) for v in state.models().versions(model.name)],
        platform=PLATFORM,
        inputs=[TensorMetadata(name=sidecar.input_name, datatype=DATATYPE, shape=sidecar.inputs[0].shape)],
        outputs=[
            TensorMetadata(name=OUTPUT, datatype=DATATYPE, shape=sidecar.outputs[0].shape),
            TensorMetadata(name=UNCERTAIN, datatype=OUTPUT_TYPES[UNCERTAIN], shape=[-1, 1]),
        ],
    )


def model_config(model: LoadedModel, settings: Settings) -> ModelConfig:
    """Triton's config: dims exclude the batch; max_batch_size is the most images one request may carry."""
    sidecar = model.runtime.sidecar
    return ModelConfig(
        name=model.name,
        platform=PLATFORM,
        backend=BACKEND,
        max_batch_size=settings.max_images_per_request,
        input=[
            ConfigTensor(
                name=sidecar.input_name, data_type=f"TYPE_{DATATYPE}", dims=sidecar.inputs[0].shape[1:]
            )
        ],
        output=[
            ConfigTensor(name=OUTPUT, data_type=f"TYPE_{DATATYPE}", dims=sidecar.outputs[0].shape[1:]),
            ConfigTensor(name=UNCERTAIN, data_type=f"TYPE_{OUTPUT_TYPES[UNCERTAIN]}", dims=[1]),
        ],
        dynamic_batching=DynamicBatching(
            preferred_batch_size=[settings.max_batch_size],
            max_queue_delay_microseconds=round(settings.max_batch_wait_ms * 1000),
        ),
        instance_group=[
            InstanceGroup(count=1, kind="KIND_GPU" if model.runtime.provider == CUDA else "KIND_CPU")
        ],
    )


def parse_version(name: str, text: str) -> int | None:
    """A version as the protocol spells it (a string; empty = the served one) -> a number."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ModelNotFound(f"model {name} has no version {text!r}; versions are whole numbers")
    return int(text)
