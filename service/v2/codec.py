"""Open Inference Protocol v2 infer bodies <-> arrays, with Triton's binary tensor data extension.

A request body is a JSON document, optionally followed by raw tensor bytes; then the
``Inference-Header-Content-Length`` header gives the JSON's length and each binary input says
its size in ``parameters.binary_data_size``. Responses use the same layout for the outputs asked
for as binary (``binary_data`` on the output, else ``binary_data_output`` on the request).

The model takes one input, float32 ``[N, 28, 28]`` in [0, 1], and returns two outputs:
``probabilities``, ``[N, 10]`` FP32 with softmax already applied (the ONNX graph's ``logits`` are not
exposed, so the name says what the numbers are), and ``uncertain``, ``[N, 1]`` BOOL, the flag that
/predict gives each prediction (service/inference/calibration.py). A request that names no outputs
gets both. Pure functions: no I/O, no state.

The public ``check_*`` functions and :func:`from_bytes` are the input contract, shared with the gRPC
codec (:mod:`service.v2.grpc_codec`), so both transports refuse the same requests with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError

from service.errors import InvalidArray, InvalidInput, TooManyImages
from service.v2.schemas import InferRequest, RequestInput, RequestOutput

OUTPUT = "probabilities"
UNCERTAIN = "uncertain"
DATATYPE = "FP32"
OUTPUT_TYPES = {OUTPUT: DATATYPE, UNCERTAIN: "BOOL"}
WIRE_DTYPE = np.dtype("<f4")  # binary tensors are little-endian, row-major, unpadded
IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class OutputSpec:
    name: str
    binary: bool


@dataclass(frozen=True)
class DecodedRequest:
    images: np.ndarray  # float32 [N, 28, 28] in [0, 1]
    request_id: str | None
    outputs: list[OutputSpec]


def decode_request(
    body: bytes, header_length: str | None, input_name: str, max_images: int
) -> DecodedRequest:
    """An infer request body (and its header-length header, if any) -> images and what to return."""
    header, binary = split_body(body, header_length)
    try:
        request = InferRequest.model_validate_json(header)
    except ValidationError as exc:
        raise InvalidInput(_describe(exc)) from None
    images = _images(request.inputs, binary, input_name, max_images)
    return DecodedRequest(images, request.id, _outputs(request))


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON document and the binary tensor data after it."""
    if header_length is None:
        return body, b""
    length = header_length.strip()
    if not (length.isascii() and length.isdigit()):
        raise InvalidInput(f"Inference-Header-Content-Length must be a byte count, got {header_length!r}")
    if int(length) > len(body):
        raise InvalidInput(f"Inference-Header-Content-Length is {length} but the body has {len(body)} bytes")
    return body[: int(length)], body[int(length) :]


def output_tensors(probabilities: np.ndarray, uncertain: np.ndarray) -> dict[str, np.ndarray]:
    """Each output by name: probabilities ``float32[N, 10]`` and the flags ``bool[N, 1]``."""
    return {OUTPUT: probabilities.astype(np.float32, copy=False), UNCERTAIN: uncertain.reshape(-1, 1)}


def wire_bytes(values: np.ndarray) -> bytes:
    """A tensor as the protocol's raw bytes: little-endian FP32, or one byte per BOOL."""
    if values.dtype == np.bool_:
        return values.astype(np.uint8).tobytes()
    return values.astype(WIRE_DTYPE, copy=False).tobytes()


def encode_response(
    probabilities: np.ndarray,
    uncertain: np.ndarray,
    model_name: str,
    model_version: int,
    request_id: str | None,
    outputs: list[OutputSpec],
) -> tuple[bytes, int | None]:
    """Probabilities ``[N, 10]`` and flags ``[N]`` -> (response body, JSON length if binary data
    follows, else None)."""
    tensors = output_tensors(probabilities, uncertain)
    documents: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for spec in outputs:
        values = tensors[spec.name]
        document: dict[str, Any] = {
            "name": spec.name,
            "datatype": OUTPUT_TYPES[spec.name],
            "shape": list(values.shape),
        }
        if spec.binary:
            chunks.append(wire_bytes(values))
            document["parameters"] = {"binary_data_size": len(chunks[-1])}
        else:
            document["data"] = values.ravel()
        documents.append(document)
    response: dict[str, Any] = {"model_name": model_name, "model_version": str(model_version)}
    if request_id is not None:
        response["id"] = request_id
    response["outputs"] = documents
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    return (header + b"".join(chunks), len(header)) if chunks else (header, None)


def _images(inputs: list[RequestInput], binary: bytes, input_name: str, max_images: int) -> np.ndarray:
    check_input_names([i.name for i in inputs], input_name)
    tensor = inputs[0]
    check_header(tensor.name, tensor.datatype, tensor.shape, max_images)
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is None and binary:
        raise InvalidInput(f"{len(binary)} bytes follow the JSON but no input declares binary_data_size")
    values = _from_json(tensor) if size is None else _from_binary(tensor, size, binary)
    return check_values(values.reshape(tensor.shape))


def check_input_names(names: list[str], input_name: str) -> None:
    """Exactly one input, named as the model's."""
    if len(names) != 1 or names[0] != input_name:
        raise InvalidInput(f"expected one input named {input_name!r}, got {', '.join(map(repr, names))}")


def check_header(name: str, datatype: str, shape: list[int], max_images: int) -> None:
    """The datatype, the shape ``[N, 28, 28]`` and the number of images ``N``."""
    if datatype != DATATYPE:
        raise InvalidInput(f"input {name!r} has datatype {datatype}; this model takes {DATATYPE}")
    if len(shape) != 3 or tuple(shape[1:]) != IMAGE_SHAPE:
        raise InvalidInput(f"input {name!r} has shape {shape}; expected [N, 28, 28]")
    if shape[0] <= 0:
        raise InvalidInput(f"no images in the request (the batch dimension is {shape[0]})")
    if shape[0] > max_images:
        raise TooManyImages(f"{shape[0]} images in one request; the limit is {max_images}")


def from_bytes(name: str, shape: list[int], data: bytes) -> np.ndarray:
    """A tensor's raw bytes (little-endian FP32, row-major, unpadded) as float32, after a size check."""
    expected = int(np.prod(shape)) * WIRE_DTYPE.itemsize
    if len(data) != expected:
        raise InvalidInput(f"input {name!r}: {expected} bytes of tensor data expected, got {len(data)}")
    return np.frombuffer(data, dtype=WIRE_DTYPE).astype(np.float32)


def _from_json(tensor: RequestInput) -> np.ndarray:
    expected = int(np.prod(tensor.shape))
    if tensor.data is None:
        raise InvalidInput(f"input {tensor.name!r} has neither data nor parameters.binary_data_size")
    try:
        values = np.asarray(tensor.data)
    except ValueError:  # ragged nesting
        raise InvalidInput(f"input {tensor.name!r}: data is not a rectangular array of numbers") from None
    if values.dtype.kind not in "iuf":
        raise InvalidInput(f"input {tensor.name!r}: data must hold only numbers")
    if values.size != expected:
        raise InvalidInput(
            f"input {tensor.name!r}: shape {tensor.shape} needs {expected} values, data has {values.size}"
        )
    return values.astype(np.float64).ravel()


def _from_binary(tensor: RequestInput, size: object, binary: bytes) -> np.ndarray:
    expected = int(np.prod(tensor.shape)) * WIRE_DTYPE.itemsize
    if tensor.data is not None:
        raise InvalidInput(f"input {tensor.name!r} has both data and binary_data_size")
    if isinstance(size, bool) or not isinstance(size, int) or size != expected:
        raise InvalidInput(
            f"input {tensor.name!r}: binary_data_size is {size!r}; shape {tensor.shape} "
            f"as {DATATYPE} is {expected} bytes"
        )
    return from_bytes(tensor.name, tensor.shape, binary)


def check_values(images: np.ndarray) -> np.ndarray:
    """Finite and in [0, 1], the model's input contract (pixel / 255); then float32."""
    bad = ~np.isfinite(images) | (images < 0) | (images > 1)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidArray(
            f"pixel {list(where)} is {images[where]:g}; values must be finite and in [0, 1] (pixel / 255)"
        )
    return np.ascontiguousarray(images, dtype=np.float32)


def _outputs(request: InferRequest) -> list[OutputSpec]:
    default = _flag(request.parameters, "binary_data_output", False)
    if not request.outputs:
        return [OutputSpec(name, default) for name in OUTPUT_TYPES]
    return [_output(asked, default) for asked in request.outputs]


def _output(asked: RequestOutput, default: bool) -> OutputSpec:
    check_output(asked.name, asked.parameters or {})
    return OutputSpec(asked.name, _flag(asked.parameters, "binary_data", default))


def check_output(name: str, parameters: Mapping[str, object]) -> None:
    """An output asked for: it must be ours, without the classification extension."""
    if name not in OUTPUT_TYPES:
        raise InvalidInput(
            f"unknown output {name!r}; the model's outputs are {OUTPUT!r} (softmax applied) and {UNCERTAIN!r}"
        )
    if "classification" in parameters:
        raise InvalidInput("the classification extension is not supported; ask for the probabilities")


def _flag(parameters: dict[str, Any] | None, name: str, default: bool) -> bool:
    value = (parameters or {}).get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"parameter {name} must be true or false, got {value!r}")
    return value


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"])
        problems.append(f"{where or 'body'}: {err['msg']}")
    return "invalid inference request: " + "; ".join(problems)
