"""The application factory: routers, lifespan (load, warm up, batch, poll) and the error table."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from service.admission import Admission
from service.api import admin, health, metrics, model_info, page, predict, read
from service.config import Settings
from service.errors import ModelLoadError
from service.http.errors import install_error_handlers
from service.http.gateway import Gateway
from service.http.gcwatch import SlowCollectionLog
from service.http.metrics import Metrics
from service.http.security import SecurityHeaders
from service.inference.repository import ModelRepository
from service.inference.runtime import OrtOptions
from service.inference.versions import BatchPolicy
from service.state import ServiceState
from service.v2 import routes as v2
from service.v2.grpc_server import GrpcServer

log = logging.getLogger(__name__)


def build_repository(settings: Settings, app_metrics: Metrics) -> ModelRepository:
    return ModelRepository(
        settings.model_repository,
        settings.model_name,
        OrtOptions(settings.provider, settings.ort_intra_op_threads, settings.ort_inter_op_threads),
        BatchPolicy(settings.max_batch_size, settings.max_batch_wait_ms, settings.max_queue_images),
        version_policy=settings.version_policy,
        pinned_version=settings.model_version,
        observer=app_metrics,
        events=app_metrics,
    )


class ServiceApp(FastAPI):
    """FastAPI with :class:`~service.http.gateway.Gateway` (and CORS, when on) in front of everything.

    ``add_middleware`` would put the gateway inside FastAPI's own outer layers (its error, telemetry
    and body-limit middleware), which every request, the directly served ``/predict`` too, would then
    pass through. (An in-process timing of the two placements was within its own noise; the layers
    skipped are plain overhead for ``/predict``.) Lifespan events go to FastAPI.
    """

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings, repository: ModelRepository | None = None) -> ServiceApp:
    """Build the app. Pass ``repository`` to use one built elsewhere (tests)."""
    app_metrics = Metrics()
    state = ServiceState(settings, observer=app_metrics)
    admission = Admission(settings.max_inflight_requests)  # one cap for HTTP and gRPC together

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        repo = repository or build_repository(settings, app_metrics)
        report = await repo.reload()
        if not repo.ready():
            await repo.close()
            why = "; ".join(f"{k}: {v}" for k, v in report.rejected.items()) or "no versions found"
            raise ModelLoadError(f"default model {settings.model_name} could not be loaded: {why}")
        state.repository, state.ready = repo, True
        grpc_server = (
            await _start_grpc(state, app_metrics, admission, app.version) if settings.grpc_port else None
        )
        # Everything built so far (modules, the app, the loaded models) lives as long as the process.
        # Frozen, the collector stops re-scanning it: a full collection took ~50 ms, a p99 spike each.
        gc.collect()
        gc.freeze()
        stop_gc_log = SlowCollectionLog(settings.slow_gc_ms).install() if settings.slow_gc_ms else None
        poller = (
            asyncio.create_task(repo.poll(settings.poll_interval_s)) if settings.poll_interval_s else None
        )
        log.info("ready", extra={"models": {n: repo.versions(n) for n in repo.names()}})
        try:
            yield
        finally:
            if grpc_server is not None:  # drain gRPC calls; each ends by its deadline anyway
                await grpc_server.stop(settings.request_timeout_ms / 1000)
            if stop_gc_log is not None:
                stop_gc_log()
            state.ready = False
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            await repo.close()

    app = ServiceApp(
        title="Digit recognition service",
        version="0.1.0",
        description="A row-wise LSTM trained on MNIST, served with onnxruntime. "
        "POST digit images to `/predict`, or pictures of whole numbers to `/read`.",
        lifespan=lifespan,
    )
    app.state.service, app.state.metrics = state, app_metrics
    for router in (predict.router, health.router, model_info.router, metrics.router, admin.router, v2.router):
        app.include_router(router)
    app.include_router(read.router)
    app.include_router(page.router)  # the draw-a-digit page at /, outside the OpenAPI schema
    install_error_handlers(app)
    direct = {"/predict": partial(predict.direct, state)} if settings.direct_predict else {}
    if settings.direct_predict:
        direct["/read"] = partial(read.direct, state)
    app.front = Gateway(
        partial(FastAPI.__call__, app),
        max_body_bytes=settings.max_request_bytes,
        max_inflight=settings.max_inflight_requests,
        metrics=app_metrics,
        security=SecurityHeaders((app.docs_url, app.redoc_url)),
        direct=direct,
        admission=admission,
    )
    if settings.cors_origins:
        app.front = CORSMiddleware(
            app.front,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization", "x-request-id"],
            expose_headers=["x-request-id"],
        )
    return app


async def _start_grpc(
    state: ServiceState, app_metrics: Metrics, admission: Admission, version: str
) -> GrpcServer:
    """The Open Inference Protocol over gRPC on ``grpc_port``; a port that cannot be had fails start-up."""
    server = GrpcServer(state, app_metrics, admission, version)
    try:
        await server.start()
    except BaseException:
        await state.models().close()
        raise
    return server
