"""Open Inference Protocol v2 over gRPC: ``ModelInferRequest`` -> images, probabilities -> response.

The messages are tritonclient's generated ``inference`` package (the protocol's
``grpc_predict_v2.proto``, which Triton extends). An input's values come either as bytes in
``raw_input_contents`` (little-endian, row-major, what ``tritonclient.grpc`` sends) or typed, in
``contents.fp32_contents``. The answer comes back the same way: ``raw_output_contents`` for a raw
request, ``contents.fp32_contents`` for a typed one.

Every check is the REST codec's own (:mod:`service.v2.codec`): the same input contract, refused with
the same messages. Pure functions: no I/O, no state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tritonclient.grpc import service_pb2 as pb

from service.errors import InvalidInput
from service.v2.codec import (
    DATATYPE,
    OUTPUT_TYPES,
    check_header,
    check_input_names,
    check_output,
    check_values,
    from_bytes,
    output_tensors,
    wire_bytes,
)

TYPED_FIELDS = ("bool_contents", "int_contents", "int64_contents", "uint_contents", "uint64_contents",
                "fp64_contents", "bytes_contents")  # fmt: skip
"""Every typed field but ``fp32_contents``: an FP32 input's values in any of them are misplaced."""


@dataclass(frozen=True)
class DecodedCall:
    images: np.ndarray  # float32 [N, 28, 28] in [0, 1]
    request_id: str
    raw: bool
    """The values came as ``raw_input_contents``, so the answer goes as ``raw_output_contents``."""
    outputs: tuple[str, ...]
    """The outputs asked for, in order; both when none were named."""


def decode_infer(request: pb.ModelInferRequest, input_name: str, max_images: int) -> DecodedCall:
    """A ``ModelInferRequest`` -> the model's input; raises ``InvalidInput``/``TooManyImages``."""
    check_input_names([tensor.name for tensor in request.inputs], input_name)
    tensor = request.inputs[0]
    shape = list(tensor.shape)
    check_header(tensor.name, tensor.datatype, shape, max_images)
    for asked in request.outputs:
        check_output(asked.name, asked.parameters)
    raw = bool(request.raw_input_contents)
    values = _from_raw(request, tensor) if raw else _from_contents(tensor)
    outputs = tuple(asked.name for asked in request.outputs) or tuple(OUTPUT_TYPES)
    return DecodedCall(check_values(values.reshape(shape)), request.id, raw, outputs)


def encode_infer(
    probabilities: np.ndarray, uncertain: np.ndarray, model_name: str, model_version: int, call: DecodedCall
) -> pb.ModelInferResponse:
    """Probabilities ``[N, 10]`` and flags ``[N]`` -> a ``ModelInferResponse`` with the outputs asked
    for, raw or typed as the input came."""
    response = pb.ModelInferResponse(
        model_name=model_name, model_version=str(model_version), id=call.request_id
    )
    tensors = output_tensors(probabilities, uncertain)
    for name in call.outputs:
        values = tensors[name]
        output = response.outputs.add(name=name, datatype=OUTPUT_TYPES[name], shape=values.shape)
        if call.raw:
            response.raw_output_contents.append(wire_bytes(values))
        elif values.dtype == np.bool_:
            output.contents.bool_contents.extend(values.ravel().tolist())
        else:
            output.contents.fp32_contents.extend(values.ravel().tolist())
    return response


def _from_raw(request: pb.ModelInferRequest, tensor: pb.ModelInferRequest.InferInputTensor) -> np.ndarray:
    if len(request.raw_input_contents) != len(request.inputs):
        raise InvalidInput(
            f"{len(request.raw_input_contents)} raw_input_contents for {len(request.inputs)} input; "
            "send one per input, in the order of the inputs"
        )
    if tensor.HasField("contents"):
        raise InvalidInput(f"input {tensor.name!r} has both contents and raw_input_contents")
    return from_bytes(tensor.name, list(tensor.shape), request.raw_input_contents[0])


def _from_contents(tensor: pb.ModelInferRequest.InferInputTensor) -> np.ndarray:
    if not tensor.HasField("contents"):
        raise InvalidInput(f"input {tensor.name!r} has neither contents nor raw_input_contents")
    contents = tensor.contents
    misplaced = [name for name in TYPED_FIELDS if len(getattr(contents, name))]
    if misplaced:
        raise InvalidInput(
            f"input {tensor.name!r} is {DATATYPE}: its values belong in contents.fp32_contents, "
            f"not {', '.join(misplaced)}"
        )
    expected = int(np.prod(tensor.shape))
    if len(contents.fp32_contents) != expected:
        raise InvalidInput(
            f"input {tensor.name!r}: shape {list(tensor.shape)} needs {expected} values, "
            f"fp32_contents has {len(contents.fp32_contents)}"
        )
    return np.array(contents.fp32_contents, dtype=np.float32)
