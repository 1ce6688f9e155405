"""Pure ASGI middleware: admission control, the body-size limit and the per-request access log.

Both wrap ``receive``/``send`` instead of using ``BaseHTTPMiddleware``, which
would buffer bodies and cost ~0.1 ms per request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PayloadTooLarge
from service.http_errors import error_body
from service.metrics import Metrics

access_log = logging.getLogger("service.access")
REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes``: at once from Content-Length, else while streaming.

    When the limit is crossed mid-stream, ``receive`` raises :class:`PayloadTooLarge`, which the
    error table turns into a 413, so an oversized body is never held in memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            message = f"request body exceeds the limit of {self.max_bytes} bytes"
            return await _respond(scope["path"], send, 413, "payload_too_large", message)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(f"request body exceeds the limit of {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)


class AdmissionMiddleware:
    """Shed load before it costs anything: past ``max_inflight`` POSTs in this worker, answer 503.

    The batcher's queue only fills when the model is the bottleneck; when the event loop itself is
    saturated (parsing, decoding), excess requests would otherwise wait in line and every caller
    would slow down. Refusing at the door keeps the accepted ones fast and the refusals quick.
    Health, metrics and other GETs are never refused.
    """

    def __init__(self, app: ASGIApp, max_inflight: int, metrics: Metrics) -> None:
        self.app, self.max_inflight, self.metrics = app, max_inflight, metrics
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        if self.inflight >= self.max_inflight:
            self.metrics.on_rejected()
            message = f"the service is at capacity ({self.max_inflight} requests in progress); retry"
            return await _respond(scope["path"], send, 503, "overloaded", message, [(b"retry-after", b"1")])
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1


class AccessLogMiddleware:
    """Give each request an id (echoed as ``X-Request-ID``), count it, and log one JSON line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex.encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            latency_s = time.perf_counter() - started
            state: dict[str, Any] = scope["state"]
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(route, scope["method"], status, latency_s)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "request_id": request_id.decode(),
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "latency_ms": round(latency_s * 1000, 3),
                        "images": state.get("images", 0),
                    },
                )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _respond(
    path: str,
    send: Send,
    status: int,
    code: str,
    message: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error response sent straight from middleware, in the path's error shape."""
    body = orjson.dumps(error_body(path, code, message))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})
