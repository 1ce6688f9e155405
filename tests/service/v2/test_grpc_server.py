"""The gRPC server's life: health before the model is ready, two workers on one port, and a drain.

The first test runs the server in process (no model loaded); the others run ``python -m service`` on
127.0.0.1 as a deployment would: the supervisor with two workers, then one worker sent SIGTERM while
calls are in flight.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import grpc
import numpy as np
import psutil
import pytest
import tritonclient.grpc as triton
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.grpc import service_pb2 as pb
from tritonclient.grpc import service_pb2_grpc

from bench.servers.launch import free_port, wait_ready
from service.admission import Admission
from service.config import Settings
from service.http.metrics import Metrics
from service.http.workers import reuse_port_supported
from service.state import ServiceState
from service.v2.grpc_server import GrpcServer
from service.v2.grpc_service import SERVICE
from tests.live import MODELS, ROOT, live_server, terminate

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


def test_before_the_model_is_ready_health_says_not_serving_and_inference_is_unavailable() -> None:
    port = free_port()
    state = ServiceState(
        Settings(model_repository=MODELS, host="127.0.0.1", grpc_port=port)
    )  # nothing loaded

    async def scenario() -> tuple[list[int], bool, grpc.aio.AioRpcError]:
        server = GrpcServer(state, Metrics(), Admission(4), "test")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)
                statuses = [
                    (await health.Check(health_pb2.HealthCheckRequest(service=s), timeout=10)).status
                    for s in ("", SERVICE)
                ]
                stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
                ready = (await stub.ServerReady(pb.ServerReadyRequest(), timeout=10)).ready
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.ModelInfer(pb.ModelInferRequest(model_name="mnist-lstm"), timeout=10)
                return statuses, ready, caught.value
        finally:
            await server.stop(1)

    statuses, ready, error = asyncio.run(scenario())
    assert statuses == [NOT_SERVING, NOT_SERVING] and not ready
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAVAILABLE, "the model is not loaded yet")


def test_a_port_held_by_another_program_fails_start_up_with_a_clear_message() -> None:
    with socket.socket() as holder:  # no SO_REUSEPORT: nobody may share it
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        state = ServiceState(Settings(model_repository=MODELS, host="127.0.0.1", grpc_port=port))

        async def start() -> None:  # grpc.aio servers are made on a running event loop
            await GrpcServer(state, Metrics(), Admission(4), "test").start()

        with pytest.raises(RuntimeError, match=f"cannot listen for gRPC on 127.0.0.1:{port}"):
            asyncio.run(start())


# --- two workers -----------------------------------------------------------------------------------


def grpc_listeners(port: int) -> list[int]:
    """The processes listening on ``port``."""
    return sorted(
        {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
    )


@pytest.mark.slow
@pytest.mark.skipif(not reuse_port_supported(), reason="the worker supervisor is used on Linux only")
def test_two_workers_each_take_grpc_connections_on_the_one_port() -> None:
    port = free_port()
    with live_server(workers=2, grpc_port=port):
        deadline = time.monotonic() + 60
        while len(workers := grpc_listeners(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2, f"expected two workers listening on the gRPC port, found {workers}"
        # A subchannel pool of its own per client: 32 clients, 32 connections (else grpc shares one).
        clients = [
            triton.InferenceServerClient(
                f"127.0.0.1:{port}", channel_args=[("grpc.use_local_subchannel_pool", 1)]
            )
            for _ in range(32)
        ]
        zeros = triton.InferInput("pixels", [1, 28, 28], "FP32")
        zeros.set_data_from_numpy(np.zeros((1, 28, 28), np.float32))
        assert all(c.infer("mnist-lstm", [zeros]).as_numpy("probabilities").shape == (1, 10) for c in clients)
        per_worker = {
            pid: sum(
                1
                for c in psutil.Process(pid).net_connections("tcp")
                if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
            )
            for pid in workers
        }
        for c in clients:
            c.close()
    assert sum(per_worker.values()) == 32, per_worker
    # A fair hash puts 16 +- 4 on each; one worker taking everything would leave the other idle.
    assert min(per_worker.values()) >= 4, f"gRPC connections per worker: {per_worker}"


# --- graceful shutdown ---------------------------------------------------------------------------


@pytest.fixture
def one_worker() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port, grpc_port = free_port(), free_port()
    env = {**os.environ, "DIGITS_MODEL_REPOSITORY": str(MODELS), "DIGITS_WORKERS": "1",
           "DIGITS_HOST": "127.0.0.1", "DIGITS_PORT": str(port), "DIGITS_GRPC_PORT": str(grpc_port),
           "DIGITS_LOG_LEVEL": "warning", "DIGITS_MAX_QUEUE_IMAGES": "20000"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, 60)
        yield proc, grpc_port
    finally:
        terminate(proc)


@pytest.mark.slow
def test_sigterm_lets_grpc_calls_in_flight_finish(one_worker: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = one_worker
    client = triton.InferenceServerClient(f"127.0.0.1:{port}")
    images = np.random.default_rng(0).random((256, 28, 28), dtype=np.float32)
    done: queue.Queue[tuple[float, Any, Any]] = queue.Queue()
    calls = 40
    for _ in range(calls):
        tensor = triton.InferInput("pixels", [256, 28, 28], "FP32")
        tensor.set_data_from_numpy(images)
        client.async_infer(
            "mnist-lstm",
            [tensor],
            lambda result, error: done.put((time.monotonic(), result, error)),
            client_timeout=60,
        )
    first = done.get(timeout=60)
    proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    answers = [first] + [done.get(timeout=60) for _ in range(calls - 1)]
    errors = [str(error) for _, _, error in answers if error is not None]
    assert not errors, f"calls in flight at SIGTERM failed: {errors[:3]}"
    assert all(r.as_numpy("probabilities").shape == (256, 10) for _, r, _ in answers)
    assert sum(t > signalled for t, _, _ in answers) > 0, (
        "every call ended before SIGTERM: nothing was drained"
    )
    # uvicorn re-raises the SIGTERM it caught once its shutdown is complete.
    assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    with pytest.raises(Exception, match="UNAVAILABLE"):
        client.is_server_live(client_timeout=5)
    client.close()
