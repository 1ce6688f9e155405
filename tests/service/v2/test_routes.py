"""The Open Inference Protocol v2 end to end: a real uvicorn, real onnxruntime, tritonclient and httpx."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from service.app import create_app
from service.config import Settings
from tests.live import MODELS, live_server
from training.idx import load_images, load_labels

pytestmark = pytest.mark.slow

MODEL, INT8, OUTPUT = "mnist-lstm", "mnist-lstm-int8", "probabilities"
INFER = f"/v2/models/{MODEL}/infer"
# Not the defaults, so the config route is seen to report the settings.
MAX_IMAGES, MAX_BATCH, MAX_WAIT_MS = 128, 32, 1.5
# The committed version (the newest; both models are exported together, so they share it).
V = str(max(int(p.name) for p in (MODELS / MODEL).iterdir() if p.name.isdigit()))


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    settings = {
        "max_images_per_request": MAX_IMAGES,
        "max_batch_size": MAX_BATCH,
        "max_batch_wait_ms": MAX_WAIT_MS,
    }
    with live_server(**settings) as base:
        yield base


@pytest.fixture(scope="module")
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[triton.InferenceServerClient]:
    tc = triton.InferenceServerClient(url.removeprefix("http://"), network_timeout=60)
    yield tc
    tc.close()


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The first 64 MNIST test digits (uint8) and their labels."""
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:64]
    return images, load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:64]


@pytest.fixture(scope="module")
def reference(http: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """What /predict says for the same 64 digits, sent as JSON pixel arrays (0-255)."""
    response = http.post("/predict", json={"images": digits[0].tolist()})
    assert response.status_code == 200, response.text
    return np.array([p["probabilities"] for p in response.json()["predictions"]])


def pixels(digits: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    """The model's input for the first n digits: pixel / 255 as float32, as /predict computes it."""
    return (digits[0][:n] / 255.0).astype(np.float32)


def infer(
    client: triton.InferenceServerClient,
    images: np.ndarray,
    binary: bool = True,
    model: str = MODEL,
    **kw: Any,
) -> triton.InferResult:
    tensor = triton.InferInput("pixels", list(images.shape), "FP32")
    tensor.set_data_from_numpy(images, binary_data=binary)
    outputs = [triton.InferRequestedOutput(OUTPUT, binary_data=binary)]
    return client.infer(model, [tensor], outputs=outputs, **kw)


def assert_v2_error(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str), body  # the protocol's shape
    assert fragment in body["error"] and "Traceback" not in body["error"]


# --- tritonclient ---------------------------------------------------------------------------------


def test_probes_and_server_metadata(client: triton.InferenceServerClient, http: httpx.Client) -> None:
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(MODEL) and client.is_model_ready(INT8, V)
    assert not client.is_model_ready("nope") and not client.is_model_ready(MODEL, "7")
    metadata = client.get_server_metadata()
    app_version = http.get("/openapi.json").json()["info"]["version"]
    assert metadata["name"] == "digit-service" and metadata["version"] == app_version
    assert set(metadata["extensions"]) == {"binary_tensor_data", "model_configuration"}


@pytest.mark.parametrize("version", ["", V])
def test_model_metadata(client: triton.InferenceServerClient, version: str) -> None:
    assert client.get_model_metadata(MODEL, version) == {
        "name": MODEL,
        "versions": [V],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": "pixels", "datatype": "FP32", "shape": [-1, 28, 28]}],
        "outputs": [
            {"name": OUTPUT, "datatype": "FP32", "shape": [-1, 10]},
            {"name": "uncertain", "datatype": "BOOL", "shape": [-1, 1]},
        ],
    }


def test_model_config_agrees_with_metadata_and_settings(client: triton.InferenceServerClient) -> None:
    config = client.get_model_config(INT8, V)
    metadata = client.get_model_metadata(INT8)
    assert (config["name"], config["platform"]) == (INT8, metadata["platform"])
    assert config["max_batch_size"] == MAX_IMAGES  # the most images one request may carry
    for kind in ("input", "output"):
        assert len(config[kind]) == len(metadata[f"{kind}s"])
        for tensor, meta in zip(config[kind], metadata[f"{kind}s"], strict=True):
            # max_batch_size > 0: Triton's dims leave out the batch dimension that metadata shows as -1.
            assert (tensor["name"], [-1, *tensor["dims"]]) == (meta["name"], meta["shape"])
            assert tensor["data_type"] == "TYPE_" + meta["datatype"]
    assert config["dynamic_batching"] == {
        "preferred_batch_size": [MAX_BATCH],
        "max_queue_delay_microseconds": 1500,
    }


@pytest.mark.parametrize("n", [1, 64])
@pytest.mark.parametrize("binary", [True, False])
def test_infer_matches_predict_on_real_digits(
    client: triton.InferenceServerClient,
    digits: tuple[np.ndarray, np.ndarray],
    reference: np.ndarray,
    n: int,
    binary: bool,
) -> None:
    result = infer(client, pixels(digits, n), binary, request_id=f"batch-{n}")
    response = result.get_response()
    assert (response["model_name"], response["model_version"], response["id"]) == (MODEL, V, f"batch-{n}")
    assert ("parameters" in response["outputs"][0]) is binary  # binary_data_size only when binary
    probabilities = result.as_numpy(OUTPUT)
    assert probabilities.shape == (n, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, reference[:n], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), reference[:n].argmax(axis=1))
    assert (probabilities.argmax(axis=1) == digits[1][:n]).mean() >= 0.9  # the real model, not noise


def test_int8_model_answers_under_its_own_name(
    client: triton.InferenceServerClient, digits: tuple[np.ndarray, np.ndarray], reference: np.ndarray
) -> None:
    result = infer(client, pixels(digits, 64), model=INT8)
    assert result.get_response()["model_name"] == INT8
    probabilities = result.as_numpy(OUTPUT)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(probabilities, reference, atol=1e-7)  # really another model...
    assert (probabilities.argmax(axis=1) == reference.argmax(axis=1)).mean() >= 0.95  # ...that agrees


def test_pinned_version_is_used_and_unknown_versions_are_404(
    client: triton.InferenceServerClient, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    assert infer(client, pixels(digits, 2), model_version=V).get_response()["model_version"] == V
    with pytest.raises(InferenceServerException) as caught:
        infer(client, pixels(digits, 2), model_version="7")
    assert caught.value.status() == "404" and "no loaded version 7" in str(caught.value.message())


def test_unknown_model_is_404(
    client: triton.InferenceServerClient, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(InferenceServerException) as caught:
        infer(client, pixels(digits, 1), model="nope")
    assert caught.value.status() == "404" and "no model named 'nope'" in str(caught.value.message())


@pytest.mark.parametrize("binary", [True, False])
def test_bad_shape_is_400(client: triton.InferenceServerClient, binary: bool) -> None:
    with pytest.raises(InferenceServerException) as caught:
        infer(client, np.zeros((2, 28, 27), np.float32), binary)
    assert caught.value.status() == "400" and "expected [N, 28, 28]" in str(caught.value.message())


def test_too_many_images_is_413(client: triton.InferenceServerClient) -> None:
    with pytest.raises(InferenceServerException) as caught:
        infer(client, np.zeros((MAX_IMAGES + 1, 28, 28), np.float32))
    assert caught.value.status() == "413" and f"the limit is {MAX_IMAGES}" in str(caught.value.message())


# --- plain HTTP -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/health/live", {"live": True}),
        ("/v2/health/ready", {"ready": True}),
        (f"/v2/models/{MODEL}/ready", {"name": MODEL, "ready": True}),
        (f"/v2/models/{INT8}/versions/{V}/ready", {"name": INT8, "ready": True}),
    ],
)
def test_probe_routes(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    response = http.get(path)
    assert response.status_code == 200 and response.json() == body


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/v2", {"name", "version", "extensions"}),
        (f"/v2/models/{MODEL}", {"name", "versions", "platform", "inputs", "outputs"}),
        (f"/v2/models/{MODEL}/versions/{V}", {"name", "versions", "platform", "inputs", "outputs"}),
        (f"/v2/models/{MODEL}/config", {"name", "platform", "backend", "max_batch_size", "input", "output",
                                        "dynamic_batching", "instance_group"}),
        (f"/v2/models/{INT8}/versions/{V}/config", {"name", "platform", "backend", "max_batch_size", "input",
                                                  "output", "dynamic_batching", "instance_group"}),
    ],
)  # fmt: skip
def test_metadata_routes(http: httpx.Client, path: str, keys: set[str]) -> None:
    response = http.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert set(response.json()) == keys


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/v2/models/nope", "no model named 'nope'"),
        ("/v2/models/nope/ready", "no model named 'nope'"),
        ("/v2/models/nope/config", "no model named 'nope'"),
        (f"/v2/models/{MODEL}/versions/7", "no loaded version 7"),
        (f"/v2/models/{MODEL}/versions/7/ready", "no loaded version 7"),
        (f"/v2/models/{MODEL}/versions/one/config", "no version 'one'"),
    ],
)
def test_unknown_models_and_versions_are_404(http: httpx.Client, path: str, fragment: str) -> None:
    assert_v2_error(http.get(path), 404, fragment)


def test_json_infer_with_nested_data(http: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images = pixels(digits, 2)
    request = {"id": "42", "inputs": [{"name": "pixels", "shape": [2, 28, 28], "datatype": "FP32",
                                       "data": images.tolist()}]}  # fmt: skip
    response = http.post(INFER, json=request)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert "inference-header-content-length" not in response.headers
    body = response.json()
    assert (body["model_name"], body["model_version"], body["id"]) == (MODEL, V, "42")
    output, flags = body["outputs"]  # no outputs named: both
    assert (output["name"], output["datatype"], output["shape"]) == (OUTPUT, "FP32", [2, 10])
    assert np.argmax(np.reshape(output["data"], (2, 10)), axis=1).tolist() == digits[1][:2].tolist()
    assert (flags["name"], flags["datatype"], flags["shape"]) == ("uncertain", "BOOL", [2, 1])
    assert flags["data"] == [False, False], "clean MNIST test digits are not uncertain"


def test_binary_response_layout(http: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images = pixels(digits, 3)
    request = {"parameters": {"binary_data_output": True},
               "inputs": [{"name": "pixels", "shape": [3, 28, 28], "datatype": "FP32",
                           "data": images.ravel().tolist()}]}  # fmt: skip
    response = http.post(INFER, json=request)
    assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
    length = int(response.headers["inference-header-content-length"])
    header = json.loads(response.content[:length])
    assert header["outputs"][0]["parameters"] == {"binary_data_size": 3 * 10 * 4}
    assert header["outputs"][1]["parameters"] == {"binary_data_size": 3}  # one byte per BOOL
    data = response.content[length:]
    probabilities = np.frombuffer(data[:120], dtype="<f4").reshape(3, 10)
    assert probabilities.argmax(axis=1).tolist() == digits[1][:3].tolist()
    assert data[120:] == bytes(3), "the three digits are not uncertain"


def one_image(data: list[Any] | None = None, **overrides: Any) -> dict[str, Any]:
    tensor = {"name": "pixels", "shape": [1, 28, 28], "datatype": "FP32", "data": data or [0.0] * 784}
    return {"inputs": [tensor | overrides.pop("tensor", {})], **overrides}


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        (one_image([2.0] * 784), "pixel [0, 0, 0] is 2; values must be finite and in [0, 1]"),
        (one_image(tensor={"datatype": "UINT8"}), "datatype UINT8; this model takes FP32"),
        (one_image(tensor={"shape": [1, 784]}), "expected [N, 28, 28]"),
        (one_image(tensor={"name": "image"}), "expected one input named 'pixels'"),
        (one_image(outputs=[{"name": "logits"}]), "unknown output 'logits'"),
        ({"inputs": "pixels"}, "invalid inference request"),
    ],
)
def test_bad_requests_are_400(http: httpx.Client, request_body: dict[str, Any], fragment: str) -> None:
    assert_v2_error(http.post(INFER, json=request_body), 400, fragment)


def test_nan_is_400(http: httpx.Client) -> None:
    body = json.dumps(one_image([float("nan")] * 784))  # Python writes NaN; the parser reads it
    assert_v2_error(http.post(INFER, content=body), 400, "pixel [0, 0, 0] is nan")


def test_bad_header_length_is_400(http: httpx.Client) -> None:
    body = json.dumps(one_image()).encode()
    response = http.post(INFER, content=body, headers={"Inference-Header-Content-Length": str(len(body) + 1)})
    assert_v2_error(response, 400, "Inference-Header-Content-Length is")


def test_compressed_bodies_are_415(http: httpx.Client) -> None:
    body = gzip.compress(json.dumps(one_image()).encode())
    assert_v2_error(http.post(INFER, content=body, headers={"Content-Encoding": "gzip"}), 415, "gzip")


def test_openapi_documents_both_request_encodings(http: httpx.Client) -> None:
    operation = http.get("/openapi.json").json()["paths"]["/v2/models/{name}/versions/{version}/infer"][
        "post"
    ]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/octet-stream"}
    assert content["application/json"]["schema"]["properties"]["inputs"]["items"]["required"] == [
        "name", "shape", "datatype"
    ]  # fmt: skip
    assert {"200", "400", "404", "413", "503"} <= set(operation["responses"])


# --- before the model is loaded (in-process, no server) --------------------------------------------


def test_not_ready_is_503_with_retry_after() -> None:
    app = create_app(Settings(model_repository=MODELS))  # lifespan never runs: nothing loaded

    async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.request(method, path, **kwargs)

    assert asyncio.run(call("GET", "/v2/health/live")).status_code == 200
    for method, path, kwargs in [
        ("GET", "/v2/health/ready", {}),
        ("GET", f"/v2/models/{MODEL}/ready", {}),
        ("POST", INFER, {"json": one_image()}),
    ]:
        response = asyncio.run(call(method, path, **kwargs))
        assert_v2_error(response, 503, "not loaded yet")
        assert response.headers["retry-after"] == "1"


def test_errors_outside_the_routes_keep_the_protocol_shape(http: httpx.Client) -> None:
    unmatched = http.get("/v2/models/mnist-lstm/nonsense")
    assert unmatched.status_code == 404 and isinstance(unmatched.json()["error"], str)
    too_big = http.post("/v2/models/mnist-lstm/infer", content=b"x" * (11 * 1024 * 1024))
    assert too_big.status_code == 413 and "exceeds" in too_big.json()["error"]
    outside = http.get("/nope")
    assert outside.json()["error"]["code"] == "not_found", "the rest of the API keeps its own shape"


def test_the_uncertain_output_says_what_predict_says(
    http: httpx.Client, client: triton.InferenceServerClient
) -> None:
    """v2 exposes /predict's flag as the BOOL output "uncertain": an empty frame is no digit the
    model knows, and both routes say so for the same array."""
    blank = np.zeros((1, 28, 28), np.float32)
    tensor = triton.InferInput("pixels", [1, 28, 28], "FP32")
    tensor.set_data_from_numpy(blank, binary_data=True)
    result = client.infer(MODEL, [tensor], outputs=[triton.InferRequestedOutput("uncertain")])
    predicted = http.post("/predict", json={"images": [blank[0].tolist()], "value_range": "0-1"}).json()
    assert result.as_numpy("uncertain").tolist() == [[predicted["predictions"][0]["uncertain"]]] == [[True]]
