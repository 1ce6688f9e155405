"""The Open Inference Protocol v2 documents (KServe / Triton REST), for validation and OpenAPI.

Field names follow the protocol exactly, including Triton's model configuration, whose JSON
is the ModelConfig protobuf message (``max_batch_size``, ``data_type``, ``dims``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

Parameters = dict[str, Any]


class V2Error(BaseModel):
    error: str = Field(description="What was wrong, for humans.")


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str] = Field(description="Protocol extensions this server supports.")


class ServerLive(BaseModel):
    live: bool


class ServerReady(BaseModel):
    ready: bool


class ModelReady(BaseModel):
    name: str
    ready: bool


class TensorMetadata(BaseModel):
    name: str
    datatype: str = Field(description="Element type, e.g. FP32.")
    shape: list[int] = Field(description="Dimensions; -1 is variable (the batch).")


class ModelMetadata(BaseModel):
    name: str
    versions: list[str] = Field(description="The loaded versions, each usable in /versions/{version}.")
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ConfigTensor(BaseModel):
    name: str
    data_type: str = Field(description="TYPE_FP32 etc.")
    dims: list[int] = Field(description="Dimensions of one item, without the batch dimension.")


class DynamicBatching(BaseModel):
    preferred_batch_size: list[int]
    max_queue_delay_microseconds: int


class InstanceGroup(BaseModel):
    count: int
    kind: str = Field(description="KIND_CPU or KIND_GPU: where onnxruntime runs the model.")


class ModelConfig(BaseModel):
    """The subset of Triton's ModelConfig that clients and perf_analyzer read."""

    name: str
    platform: str
    backend: str
    max_batch_size: int = Field(description="Most items one request may carry (the request limit).")
    input: list[ConfigTensor]
    output: list[ConfigTensor]
    dynamic_batching: DynamicBatching
    instance_group: list[InstanceGroup]


class RequestInput(BaseModel):
    name: str
    shape: list[Annotated[int, Field(ge=0)]]
    datatype: str
    parameters: Parameters | None = Field(
        None, description="binary_data_size: the tensor's bytes follow the JSON (binary extension)."
    )
    data: list[Any] | None = Field(None, description="Row-major elements, flat or nested.")


class RequestOutput(BaseModel):
    name: str
    parameters: Parameters | None = Field(None, description="binary_data: return this output as bytes.")


class InferRequest(BaseModel):
    id: str | None = None
    parameters: Parameters | None = Field(
        None, description="binary_data_output: return every output as bytes unless it says otherwise."
    )
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    """``probabilities`` (FP32 ``[N, 10]``) or ``uncertain`` (BOOL ``[N, 1]``, as /predict's flag)."""

    name: str
    shape: list[int]
    datatype: str
    parameters: Parameters | None = Field(None, description="binary_data_size when sent as bytes.")
    data: list[float] | list[bool] | None = Field(
        None, description="Row-major elements, flat; absent when binary."
    )


class InferResponse(BaseModel):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[ResponseOutput]


def v2_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries with this protocol's error body for each status."""
    return {s: {"model": V2Error} for s in statuses}


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined, to embed in an OpenAPI request body."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        return [resolve(item) for item in node] if isinstance(node, list) else node

    return dict(resolve(schema))


INFER_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": inline_schema(InferRequest)},
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary"},
            "description": "Binary tensor data extension: the JSON request (its length in the "
            "Inference-Header-Content-Length header), then each binary input's little-endian bytes.",
        },
    },
}
INFER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},  # binary outputs: JSON, then the bytes
    **v2_error_responses(400, 404, 413, 415, 503, 504),
}
