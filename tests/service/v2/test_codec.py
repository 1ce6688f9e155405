"""The v2 infer codec on its own: bodies built and read by tritonclient itself, and by hand."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import tritonclient.http as triton

from service.errors import InvalidArray, InvalidInput, TooManyImages
from service.v2.codec import OUTPUT, UNCERTAIN, OutputSpec, decode_request, encode_response, split_body

MAX_IMAGES = 8


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def client_body(
    pixels: np.ndarray, binary: bool, outputs: list[triton.InferRequestedOutput] | None = None
) -> tuple[bytes, str | None]:
    """The exact body and Inference-Header-Content-Length tritonclient would send."""
    tensor = triton.InferInput("pixels", list(pixels.shape), "FP32")
    tensor.set_data_from_numpy(pixels, binary_data=binary)
    body, json_size = triton.InferenceServerClient.generate_request_body([tensor], outputs, request_id="r1")
    return body, None if json_size is None else str(json_size)


def json_body(data: object, shape: list[int], datatype: str = "FP32", **extra: Any) -> bytes:
    tensor = {"name": "pixels", "shape": shape, "datatype": datatype, "data": data}
    return json.dumps({"inputs": [tensor], **extra}).encode()


def decode(body: bytes, header_length: str | None = None, max_images: int = MAX_IMAGES) -> Any:
    return decode_request(body, header_length, "pixels", max_images)


@pytest.mark.parametrize("binary", [True, False])
def test_tritonclient_bodies_decode_to_the_exact_pixels(binary: bool) -> None:
    pixels = images(3)
    decoded = decode(*client_body(pixels, binary))
    assert decoded.images.dtype == np.float32 and decoded.images.flags.c_contiguous
    np.testing.assert_array_equal(decoded.images, pixels)
    assert decoded.request_id == "r1"
    # No outputs named: both, binary, as tritonclient asks with binary_data_output.
    assert decoded.outputs == [OutputSpec(OUTPUT, binary=True), OutputSpec(UNCERTAIN, binary=True)]


def test_nested_and_flat_data_give_the_same_images() -> None:
    pixels = images(2).astype(np.float64)
    flat = decode(json_body(pixels.ravel().tolist(), [2, 28, 28]))
    nested = decode(json_body(pixels.tolist(), [2, 28, 28]))
    np.testing.assert_array_equal(flat.images, nested.images)
    np.testing.assert_array_equal(flat.images, pixels.astype(np.float32))
    assert flat.request_id is None


def test_integer_zeros_and_ones_are_numbers_too() -> None:
    decoded = decode(json_body([0, 1] * 392, [1, 28, 28]))
    assert decoded.images.sum() == 392


@pytest.mark.parametrize(
    ("data", "shape", "fragment"),
    [
        ([0.0] * 783, [1, 28, 28], "needs 784 values, data has 783"),
        ([0.0] * 784, [1, 28, 27], "expected [N, 28, 28]"),
        ([0.0] * 784, [784], "expected [N, 28, 28]"),
        ([0.0] * 784, [0, 28, 28], "no images"),
        ([[0.0] * 28] * 27 + [[0.0] * 27], [1, 28, 28], "not a rectangular array"),
        (["0.5"] * 784, [1, 28, 28], "only numbers"),
        ([True] * 784, [1, 28, 28], "only numbers"),
        (None, [1, 28, 28], "neither data nor"),
    ],
)
def test_shape_and_data_mismatches_say_what_is_wrong(data: object, shape: list[int], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment.replace("[", r"\[")):
        decode(json_body(data, shape))


@pytest.mark.parametrize("datatype", ["FP64", "UINT8", "INT32", "FP16", "BYTES"])
def test_only_fp32_is_accepted(datatype: str) -> None:
    with pytest.raises(InvalidInput, match=f"datatype {datatype}; this model takes FP32"):
        decode(json_body([0] * 784, [1, 28, 28], datatype))


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), float("inf")])
def test_values_outside_the_contract_are_refused_with_their_position(value: float) -> None:
    data = [0.0] * 784
    data[3] = value
    with pytest.raises(InvalidArray, match=r"pixel \[0, 0, 3\] is .*in \[0, 1\]"):
        decode(json_body(data, [1, 28, 28]))  # json.dumps writes NaN, which the parser accepts


def test_nan_in_binary_data_is_refused() -> None:
    pixels = images(2)
    pixels[1, 27, 27] = np.nan
    with pytest.raises(InvalidArray, match=r"pixel \[1, 27, 27\] is nan"):
        decode(*client_body(pixels, binary=True))


def test_too_many_images_is_its_own_error() -> None:
    with pytest.raises(TooManyImages, match="9 images in one request; the limit is 8"):
        decode(*client_body(images(9), binary=True))


def test_inputs_must_be_exactly_the_model_input() -> None:
    wrong_name = json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [0]}]})
    with pytest.raises(InvalidInput, match="expected one input named 'pixels', got 'x'"):
        decode(wrong_name.encode())
    with pytest.raises(InvalidInput, match="inputs: List should have at least 1 item"):
        decode(b'{"inputs": []}')
    with pytest.raises(InvalidInput, match="invalid inference request"):
        decode(b"not json")


@pytest.mark.parametrize(
    ("header_length", "fragment"),
    [("abc", "must be a byte count"), ("-5", "must be a byte count"), ("99999999", "but the body has")],
)
def test_bad_header_length_is_refused(header_length: str, fragment: str) -> None:
    body, _ = client_body(images(1), binary=True)
    with pytest.raises(InvalidInput, match=fragment):
        decode(body, header_length)


def test_header_length_that_cuts_the_json_is_refused() -> None:
    body, length = client_body(images(1), binary=True)
    assert length is not None
    with pytest.raises(InvalidInput, match="invalid inference request"):
        decode(body, str(int(length) - 1))


def test_binary_data_must_match_its_declared_size_and_the_shape() -> None:
    body, length = client_body(images(1), binary=True)
    with pytest.raises(InvalidInput, match="3136 bytes of tensor data expected, got 3137"):
        decode(body + b"\0", length)  # a trailing byte
    with pytest.raises(InvalidInput, match="expected, got 3135"):
        decode(body[:-1], length)  # a missing byte
    header, tensor_bytes = split_body(body, length)
    document = json.loads(header)
    document["inputs"][0]["parameters"]["binary_data_size"] = 100
    lying = json.dumps(document).encode()
    with pytest.raises(InvalidInput, match=r"binary_data_size is 100; shape .* is 3136 bytes"):
        decode(lying + tensor_bytes, str(len(lying)))


def test_bytes_after_json_without_binary_inputs_are_refused() -> None:
    header = json_body([0.0] * 784, [1, 28, 28])
    with pytest.raises(InvalidInput, match="4 bytes follow the JSON but no input declares"):
        decode(header + b"\0\0\0\0", str(len(header)))


def test_outputs_can_be_chosen_and_each_made_binary_or_json() -> None:
    pixels = images(1)
    asked = [triton.InferRequestedOutput(OUTPUT, binary_data=False)]
    assert decode(*client_body(pixels, True, asked)).outputs == [OutputSpec(OUTPUT, binary=False)]
    per_output = [{"name": OUTPUT, "parameters": {"binary_data": True}}]
    assert decode(json_body([0] * 784, [1, 28, 28], outputs=per_output)).outputs == [OutputSpec(OUTPUT, True)]
    plain = decode(json_body([0] * 784, [1, 28, 28]))
    assert plain.outputs == [OutputSpec(OUTPUT, False), OutputSpec(UNCERTAIN, False)]  # JSON unless asked
    only_flags = decode(json_body([0] * 784, [1, 28, 28], outputs=[{"name": UNCERTAIN}]))
    assert only_flags.outputs == [OutputSpec(UNCERTAIN, binary=False)]


@pytest.mark.parametrize(
    ("outputs", "fragment"),
    [
        ([{"name": "logits"}], "unknown output 'logits'; the model's outputs are 'probabilities'"),
        ([{"name": OUTPUT, "parameters": {"classification": 3}}], "classification extension"),
        ([{"name": OUTPUT, "parameters": {"binary_data": "yes"}}], "binary_data must be true or false"),
    ],
)
def test_bad_output_requests_are_refused(outputs: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        decode(json_body([0] * 784, [1, 28, 28], outputs=outputs))


def probabilities(n: int) -> np.ndarray:
    rows = np.random.default_rng(1).random((n, 10), dtype=np.float32)
    return rows / rows.sum(axis=1, keepdims=True)


FLAGS = np.array([True, False, False, True])
BOTH_JSON = [OutputSpec(OUTPUT, False), OutputSpec(UNCERTAIN, False)]


def test_json_response_reads_back_through_tritonclient() -> None:
    probs = probabilities(4)
    body, header_length = encode_response(probs, FLAGS, "mnist-lstm", 3, "r1", BOTH_JSON)
    assert header_length is None
    document = json.loads(body)
    assert document["model_name"] == "mnist-lstm" and document["model_version"] == "3"
    assert document["id"] == "r1" and document["outputs"][0]["shape"] == [4, 10]
    assert document["outputs"][1] == {"name": UNCERTAIN, "datatype": "BOOL", "shape": [4, 1],
                                      "data": [True, False, False, True]}  # fmt: skip
    result = triton.InferenceServerClient.parse_response_body(body)
    np.testing.assert_array_equal(result.as_numpy(OUTPUT), probs)  # float32 survives JSON exactly
    np.testing.assert_array_equal(result.as_numpy(UNCERTAIN), FLAGS.reshape(4, 1))


def test_binary_response_reads_back_through_tritonclient() -> None:
    probs = probabilities(64)
    flags = np.zeros(64, dtype=bool)
    body, header_length = encode_response(probs, flags, "mnist-lstm", 1, None, [OutputSpec(OUTPUT, True)])
    assert header_length is not None and len(body) == header_length + 64 * 10 * 4
    header = json.loads(body[:header_length])
    assert "id" not in header and header["outputs"][0]["parameters"] == {"binary_data_size": 2560}
    assert body[header_length:] == probs.astype("<f4").tobytes()
    result = triton.InferenceServerClient.parse_response_body(body, header_length=header_length)
    np.testing.assert_array_equal(result.as_numpy(OUTPUT), probs)


def test_split_body_without_header_is_all_json() -> None:
    assert split_body(b'{"a": 1}', None) == (b'{"a": 1}', b"")
    assert split_body(b"{}\x01\x02", "2") == (b"{}", b"\x01\x02")


def test_binary_flags_are_one_byte_each_and_read_back() -> None:
    body, header_length = encode_response(
        probabilities(4), FLAGS, "mnist-lstm", 1, None, [OutputSpec(UNCERTAIN, True)]
    )
    assert header_length is not None and body[header_length:] == bytes([1, 0, 0, 1])
    result = triton.InferenceServerClient.parse_response_body(body, header_length=header_length)
    np.testing.assert_array_equal(result.as_numpy(UNCERTAIN), FLAGS.reshape(4, 1))
