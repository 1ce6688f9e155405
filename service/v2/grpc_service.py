"""The Open Inference Protocol's ``inference.GRPCInferenceService``: the gRPC twin of :mod:`.routes`.

Each method is thin: look up, decode, classify through the same batcher as REST (labelled ``grpc``),
encode. The :func:`rpc` wrapper does for every call what the HTTP gateway does for every request: a
request id (``x-request-id`` metadata, echoed in the trailers), admission control for inference (the
worker's in-flight cap, shared with HTTP), the error table (:mod:`.grpc_errors`), metrics labelled
``protocol="grpc"`` and one access-log line. Methods the service does not offer (streaming, the
repository, shared memory, statistics, tracing) answer ``UNIMPLEMENTED``.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import json_format
from tritonclient.grpc import model_config_pb2, service_pb2_grpc
from tritonclient.grpc import service_pb2 as pb

from service.admission import Admission
from service.errors import ModelNotFound, NotReady, ServiceError
from service.http.logs import access
from service.http.metrics import Metrics
from service.state import ServiceState
from service.v2 import describe
from service.v2.grpc_codec import decode_infer, encode_infer
from service.v2.grpc_errors import service_error_reply, unexpected_error_reply

SERVICE = "inference.GRPCInferenceService"
EXTENSIONS = ["model_configuration"]
REQUEST_ID = "x-request-id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
Context = Any  # grpc.aio.ServicerContext: grpcio ships no type hints
Fields = dict[str, Any]
"""The call's access-log fields; a method may add to them (``images``)."""
Method = Callable[[Any, Any, Context, Fields], Awaitable[Any]]
Servicer = Callable[[Any, Any, Context], Awaitable[Any]]


def rpc(*, admit: bool = False) -> Callable[[Method], Servicer]:
    """Wrap a servicer method: request id, admission (``admit``), errors, metrics and the access log."""

    def wrap(method: Method) -> Servicer:
        route = f"/{SERVICE}/{method.__name__}"

        @functools.wraps(method)
        async def call(self: InferenceServicer, request: Any, context: Context) -> Any:
            started = time.perf_counter()
            fields: Fields = {"request_id": _request_id(context), "route": route, "images": 0}
            context.set_trailing_metadata(((REQUEST_ID, fields["request_id"]),))
            code, message = grpc.StatusCode.OK, ""
            admitted = admit and self.admission.enter()
            try:
                if admit and not admitted:
                    self.metrics.on_rejected()
                    code, message = grpc.StatusCode.RESOURCE_EXHAUSTED, self.refusal
                else:
                    return await method(self, request, context, fields)
            except ServiceError as exc:
                code, message = service_error_reply(route, exc)
            except asyncio.CancelledError:  # the caller went away, or its deadline passed
                code = grpc.StatusCode.CANCELLED
                raise
            except Exception:
                code, message = unexpected_error_reply(route)
            finally:
                if admitted:
                    self.admission.leave()
                self._observe(fields, code, time.perf_counter() - started)
            await context.abort(code, message)  # raises: the call ends with this status

        return call

    return wrap


class InferenceServicer(service_pb2_grpc.GRPCInferenceServiceServicer):
    def __init__(self, state: ServiceState, metrics: Metrics, admission: Admission, version: str) -> None:
        self.state, self.metrics, self.admission, self.version = state, metrics, admission, version
        self.refusal = f"the service is at capacity ({admission.limit} requests in progress); retry"

    @rpc()
    async def ServerLive(self, request: pb.ServerLiveRequest, context: Context, fields: Fields) -> Any:
        return pb.ServerLiveResponse(live=True)

    @rpc()
    async def ServerReady(self, request: pb.ServerReadyRequest, context: Context, fields: Fields) -> Any:
        try:
            self.state.models()
        except NotReady:
            return pb.ServerReadyResponse(ready=False)
        return pb.ServerReadyResponse(ready=True)

    @rpc()
    async def ModelReady(self, request: pb.ModelReadyRequest, context: Context, fields: Fields) -> Any:
        """Ready or not, as the protocol asks; an unknown model or version is simply not ready."""
        try:
            self.state.model(request.name, describe.parse_version(request.name, request.version))
        except (ModelNotFound, NotReady):
            return pb.ModelReadyResponse(ready=False)
        return pb.ModelReadyResponse(ready=True)

    @rpc()
    async def ServerMetadata(self, request: Any, context: Context, fields: Fields) -> Any:
        return pb.ServerMetadataResponse(
            name=describe.SERVER_NAME, version=self.version, extensions=EXTENSIONS
        )

    @rpc()
    async def ModelMetadata(self, request: pb.ModelMetadataRequest, context: Context, fields: Fields) -> Any:
        model = self.state.model(request.name, describe.parse_version(request.name, request.version))
        document = describe.model_metadata(self.state, model).model_dump()
        return json_format.ParseDict(document, pb.ModelMetadataResponse())

    @rpc()
    async def ModelConfig(self, request: pb.ModelConfigRequest, context: Context, fields: Fields) -> Any:
        model = self.state.model(request.name, describe.parse_version(request.name, request.version))
        document = describe.model_config(model, self.state.settings).model_dump()
        return pb.ModelConfigResponse(config=json_format.ParseDict(document, model_config_pb2.ModelConfig()))

    @rpc(admit=True)
    async def ModelInfer(self, request: pb.ModelInferRequest, context: Context, fields: Fields) -> Any:
        """Decode, classify through the batcher, encode (as ``routes._infer`` does for REST)."""
        name, version = request.model_name, describe.parse_version(request.model_name, request.model_version)
        model = self.state.model(name, version)  # unknown model or not ready: refused before decoding
        max_images = self.state.settings.max_images_per_request
        decoded = decode_infer(request, model.runtime.sidecar.input_name, max_images)
        fields["images"] = len(decoded.images)
        used, probabilities, uncertain = await self.state.classify(
            decoded.images, name, version, protocol="grpc", deadline_s=context.time_remaining()
        )
        return encode_infer(probabilities, uncertain, used.name, used.version, decoded)

    def _observe(self, fields: dict[str, Any], code: grpc.StatusCode, latency_s: float) -> None:
        self.metrics.observe_request(fields["route"], "POST", code.name, latency_s, protocol="grpc")
        access({**fields, "protocol": "grpc", "status": code.name, "latency_ms": round(latency_s * 1000, 3)})


def _request_id(context: grpc.aio.ServicerContext) -> str:
    """The caller's ``x-request-id`` if it is safe to log and echo, else a new one."""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID and isinstance(value, str) and _SAFE_ID.fullmatch(value):
            return value
    return os.urandom(16).hex()
