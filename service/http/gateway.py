"""The one ASGI layer every HTTP request passes through, and the direct route for the hot path.

For each request, in one frame (four separate middlewares cost a wrapped ``send`` each):

* an id, taken from a safe ``X-Request-ID`` or made up, echoed in the response;
* the body-size limit: refused at once from ``Content-Length``, else while the body streams in, so
  an oversized body is never held in memory;
* admission control: past ``max_inflight`` POSTs in this worker (gRPC calls count too: the cap is a
  shared :class:`~service.admission.Admission`), an immediate 503. The batcher's queue
  only fills when the model is the bottleneck; when the event loop itself is saturated (parsing,
  decoding), excess requests would otherwise wait in line and every caller would slow down. GETs
  (health, metrics, the page) are never refused;
* the security headers (:mod:`service.http.security`);
* metrics and one JSON access-log line.

Then it hands the request either to FastAPI or, for the few POST routes registered as *direct*, to a
:data:`DirectHandler` that gets the parsed essentials and returns the JSON body. ``POST /predict`` is
one: FastAPI's per-request machinery (routing, dependency solving, parameter validation, its own
middleware stack) cost ~60% of the event loop's time per one-image request in a profile. The FastAPI
route for it stays, runs the same code, documents it in OpenAPI and serves it when
``DIGITS_DIRECT_PREDICT=false``. Errors are answered from the same table as FastAPI's
(:mod:`service.http.errors`).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.admission import Admission
from service.errors import PayloadTooLarge, ServiceError
from service.http.errors import error_body, is_v2, service_error_response, unexpected_error_response
from service.http.logs import ACCESS, access
from service.http.metrics import Metrics
from service.http.security import SecurityHeaders

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
JSON_HEADERS = [(b"content-type", b"application/json")]
Headers = Sequence[tuple[bytes, bytes]]
RETRY_AFTER: Headers = [(b"retry-after", b"1")]
CLIENT_CLOSED = 499  # nginx's status for a client that closed the connection before the answer


class ClientDisconnected(Exception):
    """The client went away before its request body arrived; nobody is left to answer."""


class DirectRequest:
    """What a direct handler may read: headers, query, the body, state.

    ``receive`` is the gateway's limited one, so the body limit is enforced in one place.
    """

    __slots__ = ("_receive", "scope", "state")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope, self._receive = scope, receive
        self.state: dict[str, Any] = scope["state"]

    def header(self, name: bytes) -> str:
        value = _header(self.scope, name)
        return "" if value is None else value.decode("latin-1")

    def query(self) -> dict[str, str]:
        """The query string; a repeated key keeps its last value (as FastAPI does)."""
        raw: bytes = self.scope.get("query_string", b"")
        return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


DirectHandler = Callable[[DirectRequest], Awaitable[bytes]]
"""Returns the 200 response's JSON body, or raises a :class:`ServiceError`."""


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_inflight: int,
        metrics: Metrics,
        security: SecurityHeaders,
        direct: Mapping[str, DirectHandler] | None = None,
        admission: Admission | None = None,
    ) -> None:
        """``admission``: a cap shared with other front doors (gRPC); else one of ``max_inflight``."""
        self.app, self.max_body_bytes, self.max_inflight = app, max_body_bytes, max_inflight
        self.metrics, self.security, self.direct = metrics, security, dict(direct or {})
        self.admission = admission if admission is not None else Admission(max_inflight)
        # Under overload most requests are refused, so the refusal is rendered once, not per request.
        message = f"the service is at capacity ({self.admission.limit} requests in progress); retry"
        self.refusals = {
            v2: orjson.dumps(error_body("/v2/" if v2 else "/", "overloaded", message)) for v2 in (False, True)
        }

    @property
    def inflight(self) -> int:
        return self.admission.inflight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_ID.fullmatch(incoming) else os.urandom(16).hex().encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()
        path = _app_path(scope)
        extra = [(REQUEST_ID_HEADER, request_id), *self.security.for_path(path)]
        status = 500  # what the log says if the app fails before answering

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        handler = self.direct.get(path) if scope["method"] == "POST" else None
        try:
            await self._admit(scope, receive, send_with_headers, path, handler)
        finally:
            route = path if handler else getattr(scope.get("route"), "path", "unmatched")
            if state.get("client_gone"):
                status = CLIENT_CLOSED
            self._observe(scope, state, route, status, time.perf_counter() - started)

    async def _admit(
        self, scope: Scope, receive: Receive, send: Send, path: str, handler: DirectHandler | None
    ) -> None:
        """The body limit and admission control, then the handler or FastAPI."""
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            too_large = PayloadTooLarge(f"request body exceeds the limit of {self.max_body_bytes} bytes")
            return await service_error_response(path, too_large)(scope, receive, send)
        if scope["method"] != "POST":
            return await self.app(scope, self._limited(receive), send)
        if not self.admission.enter():
            self.metrics.on_rejected()
            body = self.refusals[is_v2(path)]
            return await _send_json(send, 503, body, RETRY_AFTER)
        try:
            if handler is not None:
                await self._serve_direct(handler, scope, receive, send, path)
            else:
                await self.app(scope, self._limited(receive), send)
        finally:
            self.admission.leave()

    async def _serve_direct(
        self, handler: DirectHandler, scope: Scope, receive: Receive, send: Send, path: str
    ) -> None:
        try:
            body = await handler(DirectRequest(scope, self._limited(receive)))
        except ClientDisconnected:
            scope["state"]["client_gone"] = True
            return
        except ServiceError as exc:
            return await service_error_response(path, exc)(scope, receive, send)
        except Exception:
            return await unexpected_error_response(path, scope["method"])(scope, receive, send)
        await _send_json(send, 200, body)

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that raises :class:`PayloadTooLarge` (a 413 via the error table) past the limit."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLarge(f"request body exceeds the limit of {self.max_body_bytes} bytes")
            return message

        return limited_receive

    def _observe(
        self, scope: Scope, state: dict[str, Any], route: str, status: int, latency_s: float
    ) -> None:
        self.metrics.observe_request(route, scope["method"], status, latency_s)
        if ACCESS.isEnabledFor(logging.INFO):
            access(
                {
                    "request_id": state["request_id"],
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round(latency_s * 1000, 3),
                    "images": state.get("images", 0),
                }
            )


async def _send_json(send: Send, status: int, body: bytes, extra: Headers = ()) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _app_path(scope: Scope) -> str:
    """The path below the app's root path (what routes are declared as)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
