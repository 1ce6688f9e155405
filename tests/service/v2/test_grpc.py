"""The Open Inference Protocol over gRPC end to end: ``python -m service`` on 127.0.0.1 (one worker),
real onnxruntime, real MNIST digits, ``tritonclient.grpc`` unchanged, grpc's own health and reflection
clients, and plain HTTP beside it on the same worker."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.grpc as triton
import tritonclient.http as triton_http
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc
from tritonclient.utils import InferenceServerException

from bench.servers.launch import free_port
from service.v2.grpc_service import SERVICE
from tests.live import MODELS, live_server
from training.idx import load_images, load_labels

pytestmark = pytest.mark.slow

MODEL, INT8, OUTPUT = "mnist-lstm", "mnist-lstm-int8", "probabilities"
# Not the defaults, so the limits are seen to come from the settings.
MAX_IMAGES, MAX_BYTES, MAX_WAIT_MS = 128, 512 * 1024, 1.5
V = str(max(int(p.name) for p in (MODELS / MODEL).iterdir() if p.name.isdigit()))
Digits = tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """``(http base URL, gRPC address)`` of one service."""
    grpc_port = free_port()
    settings = {"grpc_port": grpc_port, "max_images_per_request": MAX_IMAGES,
                "max_request_bytes": MAX_BYTES, "max_batch_wait_ms": MAX_WAIT_MS}  # fmt: skip
    with live_server(**settings) as url:
        yield url, f"127.0.0.1:{grpc_port}"


@pytest.fixture(scope="module")
def http(server: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def client(server: tuple[str, str]) -> Iterator[triton.InferenceServerClient]:
    tc = triton.InferenceServerClient(server[1])
    yield tc
    tc.close()


@pytest.fixture(scope="module")
def channel(server: tuple[str, str]) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server[1]) as ch:
        yield ch


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> Digits:
    """The first 64 MNIST test digits (uint8) and their labels."""
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:64]
    return images, load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:64]


@pytest.fixture(scope="module")
def reference(http: httpx.Client, digits: Digits) -> np.ndarray:
    """What /predict says for the same 64 digits, sent as JSON pixel arrays (0-255)."""
    response = http.post("/predict", json={"images": digits[0].tolist()})
    assert response.status_code == 200, response.text
    return np.array([p["probabilities"] for p in response.json()["predictions"]])


def pixels(digits: Digits, n: int) -> np.ndarray:
    return (digits[0][:n] / 255.0).astype(np.float32)


def tensor(images: np.ndarray, datatype: str = "FP32", name: str = "pixels") -> triton.InferInput:
    t = triton.InferInput(name, list(images.shape), datatype)
    t.set_data_from_numpy(images)
    return t


def infer(client: triton.InferenceServerClient, images: np.ndarray, model: str = MODEL, **kw: Any) -> Any:
    return client.infer(model, [tensor(images)], outputs=[triton.InferRequestedOutput(OUTPUT)], **kw)


def refused(client: triton.InferenceServerClient, *args: Any, **kw: Any) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as caught:
        client.infer(*args, **kw)
    return caught.value


# --- tritonclient.grpc, unchanged ----------------------------------------------------------------


def test_probes_and_server_metadata(client: triton.InferenceServerClient, http: httpx.Client) -> None:
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(MODEL) and client.is_model_ready(INT8, V)
    assert not client.is_model_ready("nope") and not client.is_model_ready(MODEL, "7")
    metadata = client.get_server_metadata(as_json=True)
    assert metadata == {"name": "digit-service", "version": http.get("/v2").json()["version"],
                        "extensions": ["model_configuration"]}  # fmt: skip


@pytest.mark.parametrize("version", ["", V])
def test_model_metadata_and_config_say_what_rest_says(
    client: triton.InferenceServerClient, http: httpx.Client, version: str
) -> None:
    metadata = client.get_model_metadata(MODEL, version)
    rest = http.get(f"/v2/models/{MODEL}").json()
    assert (metadata.name, list(metadata.versions), metadata.platform) == (MODEL, [V], rest["platform"])
    for kind in ("inputs", "outputs"):
        got = [
            {"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in getattr(metadata, kind)
        ]
        assert got == rest[kind]
    config = client.get_model_config(MODEL, version).config
    rest_config = http.get(f"/v2/models/{MODEL}/config").json()
    assert (config.name, config.max_batch_size) == (MODEL, MAX_IMAGES)
    assert [(t.name, list(t.dims)) for t in config.input] == [("pixels", [28, 28])]
    assert [(t.name, list(t.dims)) for t in config.output] == [(OUTPUT, [10]), ("uncertain", [1])]
    assert config.input[0].data_type == triton.model_config_pb2.TYPE_FP32
    assert (
        list(config.dynamic_batching.preferred_batch_size)
        == rest_config["dynamic_batching"]["preferred_batch_size"]
    )


@pytest.mark.parametrize("n", [1, 64])
def test_infer_matches_predict_and_rest_on_real_digits(
    client: triton.InferenceServerClient,
    server: tuple[str, str],
    digits: Digits,
    reference: np.ndarray,
    n: int,
) -> None:
    result = infer(client, pixels(digits, n), request_id=f"grpc-{n}")
    response = result.get_response()
    assert (response.model_name, response.model_version, response.id) == (MODEL, V, f"grpc-{n}")
    probabilities = result.as_numpy(OUTPUT)
    assert probabilities.shape == (n, 10) and probabilities.dtype == np.float32
    np.testing.assert_array_equal(probabilities.argmax(axis=1), reference[:n].argmax(axis=1))
    rest = triton_http.InferenceServerClient(server[0].removeprefix("http://"))
    rest_tensor = triton_http.InferInput("pixels", [n, 28, 28], "FP32")
    rest_tensor.set_data_from_numpy(pixels(digits, n))
    np.testing.assert_allclose(
        probabilities, rest.infer(MODEL, [rest_tensor]).as_numpy(OUTPUT), rtol=0, atol=1e-5
    )
    assert (probabilities.argmax(axis=1) == digits[1][:n]).mean() >= 0.9  # the real model, not noise


@pytest.mark.parametrize("n", [1, 64])
def test_async_infer(
    client: triton.InferenceServerClient, digits: Digits, reference: np.ndarray, n: int
) -> None:
    done: queue.Queue[tuple[Any, Any]] = queue.Queue()
    client.async_infer(
        MODEL, [tensor(pixels(digits, n))], callback=lambda result, error: done.put((result, error))
    )
    result, error = done.get(timeout=30)
    assert error is None, error
    np.testing.assert_allclose(result.as_numpy(OUTPUT), reference[:n], rtol=0, atol=1e-5)


def test_typed_contents_are_answered_typed(
    channel: grpc.Channel, digits: Digits, reference: np.ndarray
) -> None:
    """A request with ``contents.fp32_contents`` (no raw bytes) gets its answer the same way."""
    request = pb.ModelInferRequest(model_name=MODEL, id="typed")
    request.inputs.add(name="pixels", datatype="FP32", shape=[3, 28, 28]).contents.fp32_contents.extend(
        pixels(digits, 3).ravel().tolist()
    )
    response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=30)
    assert not response.raw_output_contents and response.id == "typed"
    output, flags = response.outputs  # no outputs named: both
    np.testing.assert_allclose(np.reshape(output.contents.fp32_contents, (3, 10)), reference[:3], atol=1e-5)
    assert (flags.name, flags.datatype, list(flags.contents.bool_contents)) == (
        "uncertain",
        "BOOL",
        [False] * 3,
    )


def test_int8_model_and_pinned_versions(client: triton.InferenceServerClient, digits: Digits) -> None:
    assert infer(client, pixels(digits, 4), model=INT8).get_response().model_name == INT8
    assert infer(client, pixels(digits, 4), model_version=V).get_response().model_version == V


# --- bad input: the right status, a message that says what was wrong, and nothing breaks ----------


def _raw_call(channel: grpc.Channel, request: pb.ModelInferRequest) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=30)
    return caught.value


@pytest.mark.parametrize(
    ("case", "status", "fragment"),
    [
        ("shape", "INVALID_ARGUMENT", "has shape [2, 28, 27]; expected [N, 28, 28]"),
        ("nan", "INVALID_ARGUMENT", "pixel [0, 3, 4] is nan; values must be finite and in [0, 1]"),
        ("range", "INVALID_ARGUMENT", "pixel [0, 0, 0] is 255; values must be finite and in [0, 1]"),
        ("datatype", "INVALID_ARGUMENT", "has datatype FP64; this model takes FP32"),
        ("name", "INVALID_ARGUMENT", "expected one input named 'pixels', got 'image'"),
        ("model", "NOT_FOUND", "no model named 'nope'; loaded: mnist-lstm, mnist-lstm-int8"),
        ("version", "NOT_FOUND", "model mnist-lstm has no loaded version 7"),
        ("too_many", "RESOURCE_EXHAUSTED", f"{MAX_IMAGES + 1} images in one request; the limit is 128"),
        ("oversized", "RESOURCE_EXHAUSTED", "Received message larger than max"),
    ],
)  # fmt: skip
def test_bad_input_gets_the_right_status(
    client: triton.InferenceServerClient, case: str, status: str, fragment: str
) -> None:
    zeros = np.zeros((1, 28, 28), np.float32)
    nan = zeros.copy()
    nan[0, 3, 4] = np.nan
    args: dict[str, tuple[Any, ...]] = {
        "shape": (MODEL, [tensor(np.zeros((2, 28, 27), np.float32))]),
        "nan": (MODEL, [tensor(nan)]),
        "range": (MODEL, [tensor(zeros + 255)]),
        "datatype": (MODEL, [tensor(zeros.astype(np.float64), "FP64")]),
        "name": (MODEL, [tensor(zeros, name="image")]),
        "model": ("nope", [tensor(zeros)]),
        "version": (MODEL, [tensor(zeros)], "7"),
        "too_many": (MODEL, [tensor(np.zeros((MAX_IMAGES + 1, 28, 28), np.float32))]),
        "oversized": (MODEL, [tensor(np.zeros((MAX_BYTES // 3136 + 10, 28, 28), np.float32))]),
    }
    error = refused(client, *args[case])
    assert error.status() == f"StatusCode.{status}", error
    assert fragment in str(error.message()) and "Traceback" not in str(error.message())


def test_truncated_raw_buffer_is_invalid(channel: grpc.Channel) -> None:
    request = pb.ModelInferRequest(model_name=MODEL)
    request.inputs.add(name="pixels", datatype="FP32", shape=[2, 28, 28])
    request.raw_input_contents.append(bytes(2 * 784 * 4 - 7))
    error = _raw_call(channel, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "input 'pixels': 6272 bytes of tensor data expected, got 6265"


def test_the_callers_deadline_is_kept(client: triton.InferenceServerClient, digits: Digits) -> None:
    error = refused(client, MODEL, [tensor(pixels(digits, 64))], client_timeout=1e-4)
    assert error.status() == "StatusCode.DEADLINE_EXCEEDED"


def test_the_service_stays_ready_after_bad_input(
    client: triton.InferenceServerClient, channel: grpc.Channel, digits: Digits
) -> None:
    for _ in range(3):
        refused(client, MODEL, [tensor(np.full((1, 28, 28), np.nan, np.float32))])
        refused(client, MODEL, [tensor(np.zeros((MAX_BYTES // 3136 + 10, 28, 28), np.float32))])
    assert client.is_server_ready() and client.is_model_ready(MODEL)
    assert health(channel, "") == health_pb2.HealthCheckResponse.SERVING
    assert (infer(client, pixels(digits, 8)).as_numpy(OUTPUT).argmax(axis=1) == digits[1][:8]).mean() >= 0.75


# --- grpc.health.v1 and reflection -----------------------------------------------------------------


def health(channel: grpc.Channel, service: str) -> int:
    request = health_pb2.HealthCheckRequest(service=service)
    return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=10).status)


def test_health_checks_say_serving_for_the_server_and_the_inference_service(channel: grpc.Channel) -> None:
    assert health(channel, "") == health_pb2.HealthCheckResponse.SERVING
    assert health(channel, SERVICE) == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as caught:
        health(channel, "no.such.Service")
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_services(channel: grpc.Channel) -> None:
    services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services


# --- gRPC and HTTP callers together ----------------------------------------------------------------


def batches(http: httpx.Client) -> dict[str, float]:
    """``digits_batches_total`` by its ``protocols`` label."""
    found = {}
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("digits_batches_total{"):
            found[line.split('protocols="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
    return found


def test_grpc_and_http_callers_share_batches_and_each_gets_its_own_answer(
    client: triton.InferenceServerClient, http: httpx.Client, digits: Digits, reference: np.ndarray
) -> None:
    def by_grpc(k: int) -> np.ndarray:
        return np.asarray(infer(client, pixels(digits, 64)[k : k + 1]).as_numpy(OUTPUT)[0])

    def by_http(k: int) -> np.ndarray:
        response = http.post("/predict", json={"images": [digits[0][k].tolist()]})
        assert response.status_code == 200, response.text
        return np.array(response.json()["predictions"][0]["probabilities"])

    before, go = batches(http).get("grpc+http", 0.0), threading.Barrier(32)

    def caller(k: int) -> np.ndarray:
        go.wait(timeout=30)
        return by_grpc(k) if k % 2 else by_http(k)

    for _ in range(5):  # mixed batches form under concurrency; a few rounds make them certain
        with ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(caller, range(32)))
        for k, answer in enumerate(answers):
            np.testing.assert_allclose(
                answer, reference[k], atol=1e-5, err_msg=f"caller {k} got another answer"
            )
        go.reset()
        if batches(http).get("grpc+http", 0.0) > before:
            break
    mixed = batches(http)
    assert mixed.get("grpc+http", 0.0) > before, f"no batch held callers of both protocols: {mixed}"
    assert {"grpc", "http"} & set(mixed), mixed
