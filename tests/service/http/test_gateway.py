"""The gateway around small fake ASGI apps and direct handlers, driven by a real httpx client."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import errors as e
from service.http.gateway import DirectHandler, DirectRequest, Gateway
from service.http.metrics import Metrics
from service.http.security import COMMON, DOCS_CSP, STRICT_CSP, SecurityHeaders

MAX_BODY = 1000
PREDICT = "/predict"


class InnerApp:
    """Reads the whole body, answers 200; sets ``scope["route"]`` as FastAPI would when given one."""

    def __init__(self, route: str | None = None) -> None:
        self.route, self.bodies, self.scope_types = route, list[bytes](), list[str]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope_types.append(scope["type"])
        if scope["type"] != "http":
            return
        if self.route is not None:
            scope["route"] = SimpleNamespace(path=self.route)
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        self.bodies.append(body)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"inner"})


class HeldApp:
    """Holds the first ``hold`` requests until released; answers any later one at once."""

    def __init__(self, hold: int) -> None:
        self.release, self.hold, self.arrived = asyncio.Event(), hold, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.arrived += 1
        if self.arrived <= self.hold:
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Handler:
    """A direct handler that reads what a real one does, then replies or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.calls, self.seen = error, 0, dict[str, Any]()

    async def __call__(self, request: DirectRequest) -> bytes:
        self.calls += 1
        body = await request.body()
        self.seen = {"body": body, "header": request.header(b"x-digit"), "query": request.query()}
        self.seen["missing"] = request.header(b"x-absent")
        request.state["images"] = 3
        if self.error is not None:
            raise self.error
        return b'{"digit":7}'


def gateway(
    inner: ASGIApp | None = None,
    direct: Mapping[str, DirectHandler] | None = None,
    max_inflight: int = 8,
) -> Gateway:
    """A gateway with a real Metrics registry and real security headers."""
    return Gateway(
        InnerApp() if inner is None else inner,
        max_body_bytes=MAX_BODY,
        max_inflight=max_inflight,
        metrics=Metrics(),
        security=SecurityHeaders(),
        direct=direct,
    )


def call(app: Gateway, method: str, url: str, root_path: str = "", **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def requests_total(app: Gateway, route: str, method: str, status: int) -> float | None:
    labels = {"route": route, "method": method, "status": str(status), "protocol": "http"}
    return app.metrics.registry.get_sample_value("digits_requests_total", labels)


async def chunked(pulled: list[int], count: int, size: int) -> AsyncIterator[bytes]:
    """A body without Content-Length; ``pulled`` counts the chunks the server asked for."""
    for _ in range(count):
        pulled.append(size)
        yield b"x" * size


def test_requests_past_the_limit_get_a_quick_503_and_the_rest_complete() -> None:
    inner = HeldApp(hold=2)
    app = gateway(inner, max_inflight=2)

    async def scenario() -> tuple[list[int], list[httpx.Response], httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            held = [asyncio.create_task(client.post("/predict", content=b"{}")) for _ in range(2)]
            while inner.arrived < 2:
                await asyncio.sleep(0)
            refused = [await client.post("/predict", content=b"{}") for _ in range(3)]
            probe = await client.get("/healthz")  # GETs pass even when full
            inner.release.set()
            done = [r.status_code for r in await asyncio.gather(*held)]
            return done, refused, probe, await client.post("/predict", content=b"{}")

    done, refused, probe, after = asyncio.run(scenario())
    assert [r.status_code for r in refused] == [503, 503, 503], "past max_inflight, POSTs are refused"
    assert refused[0].headers["retry-after"] == "1"
    assert refused[0].json()["error"]["code"] == "overloaded"
    assert probe.status_code == 200, "a GET is admitted even when POSTs are refused"
    assert done == [200, 200], "admitted requests complete"
    assert after.status_code == 200, "capacity comes back once requests finish"
    assert app.metrics.registry.get_sample_value("digits_overloaded_rejections_total") == 3
    assert requests_total(app, "unmatched", "POST", 503) == 3
    assert app.inflight == 0


def test_a_safe_request_id_is_echoed_and_handlers_can_read_it() -> None:
    seen: list[str] = []

    async def handler(request: DirectRequest) -> bytes:
        seen.append(request.state["request_id"])
        return b"{}"

    app = gateway(direct={PREDICT: handler})
    response = call(app, "POST", "/predict", headers={"x-request-id": "abc-123.X:y_Z"})
    assert response.headers["x-request-id"] == "abc-123.X:y_Z"
    assert seen == ["abc-123.X:y_Z"]


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 65, "a/b", "<script>"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_32_hex_chars(incoming: str | None) -> None:
    headers = {} if incoming is None else {"x-request-id": incoming}
    app = gateway()
    ids = [call(app, "GET", "/", headers=headers).headers["x-request-id"] for _ in range(2)]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids), ids
    assert ids[0] != ids[1], "each request gets its own id"


def assert_security_headers(response: httpx.Response, csp: str) -> None:
    assert response.headers["content-security-policy"] == csp
    for name, value in COMMON.items():
        assert response.headers[name] == value, name


def test_security_headers_on_direct_inner_and_error_responses() -> None:
    app = gateway(direct={PREDICT: Handler()})
    assert_security_headers(call(app, "POST", "/predict", content=b"{}"), STRICT_CSP)
    assert_security_headers(call(app, "GET", "/"), STRICT_CSP)
    too_large = call(app, "POST", "/predict", content=b"x" * (MAX_BODY + 1))
    assert too_large.status_code == 413
    assert_security_headers(too_large, STRICT_CSP)
    assert re.fullmatch("[0-9a-f]{32}", too_large.headers["x-request-id"])


@pytest.mark.parametrize(
    ("path", "csp"),
    [("/docs", DOCS_CSP), ("/docs/oauth2-redirect", DOCS_CSP), ("/redoc", DOCS_CSP), ("/docsx", STRICT_CSP)],
)
def test_only_the_docs_pages_get_the_relaxed_csp(path: str, csp: str) -> None:
    assert_security_headers(call(gateway(), "GET", path), csp)


def test_under_a_root_path_routes_and_the_docs_csp_use_the_path_below_it() -> None:
    handler = Handler()
    app = gateway(direct={PREDICT: handler})
    assert call(app, "POST", "/api/predict", root_path="/api", content=b"{}").json() == {"digit": 7}
    assert handler.calls == 1
    assert_security_headers(call(app, "GET", "/api/docs", root_path="/api"), DOCS_CSP)


@pytest.mark.parametrize(("size", "status"), [(MAX_BODY, 200), (MAX_BODY + 1, 413)])
def test_content_length_at_and_past_the_limit_on_a_direct_route(size: int, status: int) -> None:
    handler = Handler()
    response = call(gateway(direct={PREDICT: handler}), "POST", "/predict", content=b"x" * size)
    assert response.status_code == status, response.text
    assert handler.calls == (1 if status == 200 else 0), "an oversized body never reaches the handler"
    if status == 413:
        limit = f"request body exceeds the limit of {MAX_BODY} bytes"
        assert response.json() == {"error": {"code": "payload_too_large", "message": limit}}


def test_content_length_past_the_limit_on_an_inner_route_is_refused_before_the_app() -> None:
    inner = InnerApp()
    response = call(gateway(inner), "POST", "/upload", content=b"x" * (MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert inner.bodies == [], "the inner app never ran"


def test_a_streamed_body_past_the_limit_is_cut_off_on_a_direct_route() -> None:
    handler, pulled = Handler(), list[int]()
    app = gateway(direct={PREDICT: handler})
    response = call(app, "POST", "/predict", content=chunked(pulled, count=10, size=400))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert sum(pulled) == 1200, "reading stops at the first chunk past the limit, not at the end"
    assert app.inflight == 0


def test_a_streamed_body_past_the_limit_raises_into_the_inner_app() -> None:
    """FastAPI's error table turns this into a 413; a bare app lets it through."""
    app, pulled = gateway(InnerApp()), list[int]()
    with pytest.raises(e.PayloadTooLarge):
        call(app, "POST", "/upload", content=chunked(pulled, count=10, size=400))
    assert sum(pulled) == 1200
    assert app.inflight == 0


def test_a_direct_handler_reply_is_a_200_json_response_and_it_saw_the_request() -> None:
    handler, pulled = Handler(), list[int]()
    app = gateway(direct={PREDICT: handler})
    url = "/predict?top_k=1&top_k=3&flag="
    response = call(app, "POST", url, headers={"x-digit": "seven"}, content=chunked(pulled, 2, 5))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(b'{"digit":7}'))
    assert response.content == b'{"digit":7}'
    query = {"top_k": "3", "flag": ""}
    assert handler.seen == {"body": b"x" * 10, "header": "seven", "query": query, "missing": ""}


def test_a_direct_route_is_only_for_its_method() -> None:
    handler, inner = Handler(), InnerApp()
    response = call(gateway(inner, direct={PREDICT: handler}), "PUT", "/predict", content=b"abc")
    assert response.text == "inner"
    assert (handler.calls, inner.bodies) == (0, [b"abc"])


def ours(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


V2_INFER = "/v2/models/digits/infer"
RETRY = {"retry-after": "1"}


@pytest.mark.parametrize(
    ("path", "error", "status", "body", "headers"),
    [
        ("/predict", e.InvalidInput("no image"), 422, ours("invalid_input", "no image"), {}),
        ("/predict", e.Overloaded("queue full"), 503, ours("overloaded", "queue full"), RETRY),
        ("/predict", e.TooManyImages("too many"), 413, ours("too_many_images", "too many"), {}),
        (
            "/predict",
            e.Unauthorized("no key"),
            401,
            ours("unauthorized", "no key"),
            {"www-authenticate": "Bearer"},
        ),
        (
            "/predict",
            e.ModelLoadError("/srv/m.onnx"),
            500,
            ours("internal_error", "internal server error"),
            {},
        ),
        (V2_INFER, e.InvalidInput("bad tensor"), 400, {"error": "bad tensor"}, {}),
        (V2_INFER, e.NotReady("warming up"), 503, {"error": "warming up"}, RETRY),
    ],
)
def test_a_direct_service_error_is_answered_from_the_error_table(
    path: str, error: e.ServiceError, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    app = gateway(direct={path: Handler(error)})
    response = call(app, "POST", path, content=b"{}")
    assert response.status_code == status
    assert response.json() == body
    assert {name: response.headers.get(name) for name in headers} == headers
    assert requests_total(app, path, "POST", status) == 1


def test_an_unexpected_direct_error_is_a_bare_500_that_leaks_nothing() -> None:
    app = gateway(direct={PREDICT: Handler(RuntimeError("secret detail in /etc/digits.conf"))})
    response = call(app, "POST", "/predict", content=b"{}")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert app.inflight == 0, "a failed request gives its capacity back"


def test_metrics_label_direct_routes_by_path_and_inner_ones_by_route_or_unmatched() -> None:
    app = gateway(InnerApp(), direct={PREDICT: Handler()})
    call(app, "POST", "/predict", content=b"{}")
    call(app, "GET", "/nowhere")
    routed = gateway(InnerApp(route="/items/{item_id}"))
    call(routed, "GET", "/items/42")
    assert requests_total(app, "/predict", "POST", 200) == 1
    assert requests_total(app, "unmatched", "GET", 200) == 1
    assert requests_total(routed, "/items/{item_id}", "GET", 200) == 1
    assert requests_total(routed, "/items/42", "GET", 200) is None, "raw paths would make unbounded labels"
    latency = app.metrics.registry.get_sample_value(
        "digits_request_latency_seconds_count", {"route": "/predict", "protocol": "http"}
    )
    assert latency == 1


def test_an_invented_method_is_counted_as_other() -> None:
    app = gateway()
    assert call(app, "BREW", "/coffee").status_code == 200
    assert requests_total(app, "unmatched", "other", 200) == 1
    assert requests_total(app, "unmatched", "BREW", 200) is None


def test_one_access_log_line_per_request_with_what_the_handler_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = gateway(direct={PREDICT: Handler()})
    with caplog.at_level(logging.INFO, logger="service.access"):
        call(app, "POST", "/predict?x=1", headers={"x-request-id": "req-1"}, content=b"{}")
    records = [r.__dict__ for r in caplog.records if r.name == "service.access"]
    assert len(records) == 1
    expected: dict[str, object] = {"request_id": "req-1", "method": "POST", "route": "/predict"}
    expected |= {"path": "/predict", "status": 200, "images": 3}
    assert {k: records[0][k] for k in expected} == expected
    assert records[0]["latency_ms"] >= 0


def test_a_client_that_disconnects_before_its_body_gets_nothing() -> None:
    handler = Handler()
    app = gateway(direct={PREDICT: handler})
    sent: list[Message] = []
    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": [], "query_string": b""}

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert handler.calls == 1
    assert sent == [], "nobody is left to answer"
    assert app.inflight == 0
    labels = {"route": "/predict", "method": "POST", "status": "499", "protocol": "http"}
    assert app.metrics.registry.get_sample_value("digits_requests_total", labels) == 1, "counted as 499"


def test_non_http_scopes_pass_straight_through() -> None:
    inner = InnerApp()
    app = gateway(inner)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError(f"nothing should be sent: {message}")

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert inner.scope_types == ["lifespan"]
    counted = [
        s for m in app.metrics.registry.collect() for s in m.samples if s.name == "digits_requests_total"
    ]
    assert counted == [], "only HTTP requests are counted"
