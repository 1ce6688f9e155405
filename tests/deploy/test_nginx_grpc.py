"""deploy/nginx.conf's gRPC part for real: a real nginx with that config in front of a service process,
and ``tritonclient.grpc`` and grpc's health client calling through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.utils import InferenceServerException

from bench.servers.nginx import nginx_binary, running_nginx, write_config
from service.v2.grpc_service import SERVICE
from tests.live import free_port, live_server
from training.idx import load_images, load_labels

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def through_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gRPC address of nginx, in front of one service's gRPC port."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    backend_grpc, http_port, grpc_port = free_port(), free_port(), free_port()
    with live_server(grpc_port=backend_grpc):  # its HTTP port is not proxied here
        prefix = Path(tmp_path_factory.mktemp("nginx"))
        conf = write_config(
            prefix, ["127.0.0.1:1"], http_port, grpc=([f"127.0.0.1:{backend_grpc}"], grpc_port)
        )
        with running_nginx(binary, conf, http_port):
            yield f"127.0.0.1:{grpc_port}"


def test_tritonclient_infers_through_nginx(through_nginx: str, mnist_dir: Path) -> None:
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:64]
    labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:64]
    client = triton.InferenceServerClient(through_nginx)
    assert client.is_server_ready() and client.get_server_metadata().name == "digit-service"
    tensor = triton.InferInput("pixels", [64, 28, 28], "FP32")
    tensor.set_data_from_numpy((images / 255.0).astype(np.float32))
    result = client.infer("mnist-lstm", [tensor], request_id="via-nginx")
    assert result.get_response().id == "via-nginx"
    assert (result.as_numpy("probabilities").argmax(axis=1) == labels).mean() >= 0.9
    client.close()


def test_a_replicas_status_and_message_pass_through(through_nginx: str) -> None:
    client = triton.InferenceServerClient(through_nginx)
    tensor = triton.InferInput("pixels", [1, 28, 27], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 28, 27), np.float32))
    with pytest.raises(InferenceServerException) as caught:
        client.infer("mnist-lstm", [tensor])
    assert caught.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert "has shape [1, 28, 27]; expected [N, 28, 28]" in str(caught.value.message())
    client.close()


def test_health_checks_pass_through(through_nginx: str) -> None:
    with grpc.insecure_channel(through_nginx) as channel:
        check = health_pb2_grpc.HealthStub(channel).Check
        assert check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=10).status == 1  # SERVING
