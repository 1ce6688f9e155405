"""One worker's gRPC server: the inference service, health checking and reflection on ``grpc_port``.

It runs on the worker's own event loop (``grpc.aio``), so its calls share the worker's model
repository and batchers with HTTP, and the app's lifespan starts it once the model is ready and stops
it before the models are closed. Every worker binds the same port: gRPC sets ``SO_REUSEPORT`` on
Linux by default (``grpc.so_reuseport``, set here explicitly), so the kernel spreads new connections
over the workers as it does for the HTTP sockets (:mod:`service.http.workers`).

Each worker runs :data:`LISTENERS` ``grpc.aio`` servers on that port, sharing one set of services. A
``grpc.aio`` server takes new calls one at a time, each a round trip between gRPC's core threads and
the event loop; under load that round trip, not the loop or the model, limited one server to ~1,600
one-image calls/s per worker, arriving so spread out that the batcher ran batches of 1.4 images on
average (REST's were ~50). Four servers took ~2,200-2,300 calls/s (8 and 16 no more, within the
noise; one worker, h2load with 64 connections). A client that multiplexes all its calls over one
connection still reaches one server.

``grpc.health.v1`` answers SERVING for the server ("") and for ``inference.GRPCInferenceService``
only while the model is ready, and NOT_SERVING from the start of shutdown. Reflection lists the three
services, so ``grpcurl`` and similar tools need no ``.proto`` file.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from tritonclient.grpc import service_pb2_grpc

from service.admission import Admission
from service.errors import NotReady
from service.http.metrics import Metrics
from service.state import ServiceState
from service.v2.grpc_service import SERVICE, InferenceServicer

log = logging.getLogger(__name__)
HEALTH = health_pb2.HealthCheckResponse
LISTENERS = 4


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def server_options(max_message_bytes: int) -> list[tuple[str, int]]:
    """The largest message a caller may send is the largest HTTP body (``max_request_bytes``)."""
    return [("grpc.max_receive_message_length", max_message_bytes), ("grpc.so_reuseport", 1)]


class GrpcServer:
    def __init__(
        self,
        state: ServiceState,
        metrics: Metrics,
        admission: Admission,
        version: str,
        listeners: int = LISTENERS,
    ) -> None:
        settings = state.settings
        self.state, self.address = state, address(settings.host, settings.grpc_port)
        inference = InferenceServicer(state, metrics, admission, version)
        self.health = health.aio.HealthServicer()
        self.servers = [
            grpc.aio.server(options=server_options(settings.max_request_bytes)) for _ in range(listeners)
        ]
        for server in self.servers:
            service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(inference, server)
            health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
            reflection.enable_server_reflection(
                (SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server
            )

    async def start(self) -> None:
        """Listen (every server of every worker on the same port) and serve; health says whether the
        model is ready."""
        try:
            for server in self.servers:
                server.add_insecure_port(self.address)
                await server.start()
        except RuntimeError as exc:
            await asyncio.gather(*(server.stop(None) for server in self.servers))
            raise RuntimeError(f"cannot listen for gRPC on {self.address}: {exc}") from None
        await self.update_health()
        log.info("grpc listening", extra={"address": self.address})

    async def update_health(self) -> None:
        try:
            self.state.models()
            status = HEALTH.SERVING
        except NotReady:
            status = HEALTH.NOT_SERVING
        for service in ("", SERVICE):
            await self.health.set(service, status)

    async def stop(self, grace_s: float) -> None:
        """Say NOT_SERVING, refuse new calls, and give those in flight ``grace_s`` to finish."""
        await self.health.enter_graceful_shutdown()
        await asyncio.gather(*(server.stop(grace_s) for server in self.servers))
