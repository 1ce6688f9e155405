"""The gRPC infer codec on its own: requests built by tritonclient.grpc itself, and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import tritonclient.grpc as triton
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc._utils import _get_inference_request

from service.errors import InvalidArray, InvalidInput, TooManyImages
from service.v2.grpc_codec import DecodedCall, decode_infer, encode_infer

MAX_IMAGES = 8


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def client_request(
    pixels: np.ndarray, outputs: tuple[str, ...] = (), request_id: str = "r1"
) -> pb.ModelInferRequest:
    """The exact ModelInferRequest tritonclient.grpc sends (raw_input_contents)."""
    tensor = triton.InferInput("pixels", list(pixels.shape), "FP32")
    tensor.set_data_from_numpy(pixels)
    asked = [triton.InferRequestedOutput(name) for name in outputs] or None
    return _get_inference_request(
        "mnist-lstm", [tensor], "", request_id, asked, 0, False, False, 0, None, None
    )


def typed_request(values: list[float], shape: list[int], datatype: str = "FP32") -> pb.ModelInferRequest:
    """A request whose values are typed, in ``contents.fp32_contents`` (no raw bytes)."""
    request = pb.ModelInferRequest(model_name="mnist-lstm", id="t1")
    tensor = request.inputs.add(name="pixels", datatype=datatype, shape=shape)
    tensor.contents.fp32_contents.extend(values)
    return request


def decode(request: pb.ModelInferRequest, max_images: int = MAX_IMAGES) -> object:
    return decode_infer(request, "pixels", max_images)


@pytest.mark.parametrize("n", [1, 8])
def test_raw_request_from_tritonclient_round_trips(n: int) -> None:
    pixels = images(n)
    decoded = decode_infer(client_request(pixels, ("probabilities",)), "pixels", MAX_IMAGES)
    assert decoded.raw and decoded.request_id == "r1"
    assert decoded.images.dtype == np.float32 and decoded.images.flags.c_contiguous
    np.testing.assert_array_equal(decoded.images, pixels)


def test_typed_request_round_trips() -> None:
    pixels = images(2)
    decoded = decode_infer(typed_request(pixels.ravel().tolist(), [2, 28, 28]), "pixels", MAX_IMAGES)
    assert not decoded.raw and decoded.request_id == "t1"
    np.testing.assert_array_equal(decoded.images, pixels)


@pytest.mark.parametrize("raw", [True, False])
def test_response_answers_in_the_requests_encoding(raw: bool) -> None:
    probabilities = np.random.default_rng(1).random((3, 10), dtype=np.float32)
    flags = np.array([False, True, False])
    call = DecodedCall(np.zeros((3, 28, 28), np.float32), "r9", raw, ("probabilities", "uncertain"))
    response = encode_infer(probabilities, flags, "mnist-lstm", 2, call)
    assert (response.model_name, response.model_version, response.id) == ("mnist-lstm", "2", "r9")
    scores, unsure = response.outputs
    assert (scores.name, scores.datatype, list(scores.shape)) == ("probabilities", "FP32", [3, 10])
    assert (unsure.name, unsure.datatype, list(unsure.shape)) == ("uncertain", "BOOL", [3, 1])
    if raw:
        assert not scores.HasField("contents") and len(response.raw_output_contents) == 2
        # As tritonclient reads it back:
        result = triton.InferResult(response)
        np.testing.assert_array_equal(result.as_numpy("probabilities"), probabilities)
        np.testing.assert_array_equal(result.as_numpy("uncertain"), flags.reshape(3, 1))
    else:
        assert not response.raw_output_contents
        np.testing.assert_array_equal(np.reshape(scores.contents.fp32_contents, (3, 10)), probabilities)
        assert list(unsure.contents.bool_contents) == [False, True, False]


def test_only_the_outputs_asked_for_are_answered() -> None:
    call = DecodedCall(np.zeros((1, 28, 28), np.float32), "", True, ("uncertain",))
    response = encode_infer(np.full((1, 10), 0.1, np.float32), np.array([True]), "m", 1, call)
    assert [o.name for o in response.outputs] == ["uncertain"]
    assert list(response.raw_output_contents) == [b"\x01"]


def _raw(pixels: np.ndarray, **tensor: object) -> pb.ModelInferRequest:
    request = client_request(pixels)
    for field, value in tensor.items():
        if field == "shape":
            del request.inputs[0].shape[:]
            request.inputs[0].shape.extend(value)
        else:
            setattr(request.inputs[0], field, value)
    return request


def _two_inputs() -> pb.ModelInferRequest:
    request = client_request(images(1))
    request.inputs.add(name="extra", datatype="FP32", shape=[1, 28, 28])
    return request


def _truncated() -> pb.ModelInferRequest:
    request = client_request(images(2))
    request.raw_input_contents[0] = request.raw_input_contents[0][:-4]
    return request


def _both_encodings() -> pb.ModelInferRequest:
    request = client_request(images(1))
    request.inputs[0].contents.fp32_contents.extend([0.0] * 784)
    return request


def _misplaced() -> pb.ModelInferRequest:
    request = pb.ModelInferRequest()
    request.inputs.add(name="pixels", datatype="FP32", shape=[1, 28, 28]).contents.int_contents.extend(
        [0] * 784
    )
    return request


def _unknown_output() -> pb.ModelInferRequest:
    return client_request(images(1), ("logits",))


def _classification() -> pb.ModelInferRequest:
    request = client_request(images(1), ("probabilities",))
    request.outputs[0].parameters["classification"].int64_param = 3
    return request


@pytest.mark.parametrize(
    ("request_", "error", "fragment"),
    [
        (_raw(images(2), shape=[2, 28, 27]), InvalidInput, "has shape [2, 28, 27]; expected [N, 28, 28]"),
        (_raw(images(1), datatype="UINT8"), InvalidInput, "datatype UINT8; this model takes FP32"),
        (_raw(images(1), name="image"), InvalidInput, "expected one input named 'pixels', got 'image'"),
        (_raw(images(1), shape=[0, 28, 28]), InvalidInput, "the batch dimension is 0"),
        (_raw(images(1), shape=[-3, 28, 28]), InvalidInput, "the batch dimension is -3"),
        (_raw(images(9)), TooManyImages, "9 images in one request; the limit is 8"),
        (_two_inputs(), InvalidInput, "expected one input named 'pixels', got 'pixels', 'extra'"),
        (_truncated(), InvalidInput, "6272 bytes of tensor data expected, got 6268"),
        (_both_encodings(), InvalidInput, "both contents and raw_input_contents"),
        (typed_request([0.5] * 783, [1, 28, 28]), InvalidInput, "needs 784 values, fp32_contents has 783"),
        (_misplaced(), InvalidInput, "belong in contents.fp32_contents, not int_contents"),
        (pb.ModelInferRequest(inputs=[{"name": "pixels", "datatype": "FP32", "shape": [1, 28, 28]}]),
         InvalidInput, "neither contents nor raw_input_contents"),
        (_raw(np.full((1, 28, 28), np.nan, np.float32)), InvalidArray, "pixel [0, 0, 0] is nan"),
        (typed_request([0.0] * 783 + [2.0], [1, 28, 28]), InvalidArray, "pixel [0, 27, 27] is 2"),
        (_unknown_output(), InvalidInput, "unknown output 'logits'"),
        (_classification(), InvalidInput, "classification extension is not supported"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_with_the_rest_codecs_words(
    request_: pb.ModelInferRequest, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        decode(request_)
    assert fragment in str(caught.value)
