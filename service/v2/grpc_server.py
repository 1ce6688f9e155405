"""One worker's gRPC server: the inference service, health checking and reflection on ``grpc_port``.

It runs on the worker's own event loop (``grpc.aio``), so its calls share the worker's model
repository and batchers with HTTP, and the app's lifespan starts it once the model is ready and stops
it before the models are closed. Every worker binds the same port: gRPC sets ``SO_REUSEPORT`` on
Linux by default (``grpc.so_reuseport``, set here explicitly), so the kernel spreads new connections
over the workers as it does for the HTTP sockets (:mod:`service.http.workers`).

``grpc.health.v1`` answers SERVING for the server ("") and for ``inference.GRPCInferenceService``
only while the model is ready, and NOT_SERVING from the start of shutdown. Reflection lists the three
services, so ``grpcurl`` and similar tools need no ``.proto`` file.
"""

from __future__ import annotations

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


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def server_options(max_message_bytes: int) -> list[tuple[str, int]]:
    """The largest message a caller may send is the largest HTTP body (``max_request_bytes``)."""
    return [("grpc.max_receive_message_length", max_message_bytes), ("grpc.so_reuseport", 1)]


class GrpcServer:
    def __init__(self, state: ServiceState, metrics: Metrics, admission: Admission, version: str) -> None:
        settings = state.settings
        self.state, self.address = state, address(settings.host, settings.grpc_port)
        self.server = grpc.aio.server(options=server_options(settings.max_request_bytes))
        service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(
            InferenceServicer(state, metrics, admission, version), self.server
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        services = (SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(services, self.server)

    async def start(self) -> None:
        """Listen (every worker on the same port) and serve; health says whether the model is ready."""
        try:
            self.server.add_insecure_port(self.address)
        except RuntimeError as exc:
            raise RuntimeError(f"cannot listen for gRPC on {self.address}: {exc}") from None
        await self.server.start()
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
        await self.server.stop(grace_s)
