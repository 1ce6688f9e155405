"""The gRPC error table, row by row: each domain error -> its status code, with its message.

Calls go through the servicer's real :func:`~service.v2.grpc_service.rpc` wrapper with a recording
stand-in for grpc's servicer context (the over-the-wire answers are in ``test_grpc.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc
import pytest

from service import errors as e
from service.admission import Admission
from service.config import Settings
from service.http.errors import STATUS
from service.http.errors import status_for as http_status_for
from service.http.metrics import Metrics
from service.state import ServiceState
from service.v2.grpc_errors import GRPC_STATUS, status_for
from service.v2.grpc_service import SERVICE, Fields, InferenceServicer, rpc
from tests.live import MODELS

Code = grpc.StatusCode
Metadata = tuple[tuple[str, str], ...]
ROWS: list[tuple[e.ServiceError, grpc.StatusCode]] = [
    (e.InvalidInput("input 'pixels' has datatype UINT8"), Code.INVALID_ARGUMENT),
    (e.InvalidArray("pixel [0, 0, 0] is nan"), Code.INVALID_ARGUMENT),
    (e.UnsupportedImageFormat("not an image"), Code.INVALID_ARGUMENT),
    (e.UnsupportedMediaType("send protobuf"), Code.INVALID_ARGUMENT),
    (e.CorruptImage("the PNG image is truncated"), Code.INVALID_ARGUMENT),
    (e.NoDigit("the image is blank"), Code.INVALID_ARGUMENT),
    (e.TooLarge("too large"), Code.RESOURCE_EXHAUSTED),
    (e.PayloadTooLarge("request body exceeds the limit"), Code.RESOURCE_EXHAUSTED),
    (e.TooManyPixels("image has too many pixels"), Code.RESOURCE_EXHAUSTED),
    (e.TooManyImages("300 images in one request; the limit is 256"), Code.RESOURCE_EXHAUSTED),
    (e.ModelNotFound("no model named 'nope'"), Code.NOT_FOUND),
    (e.Unauthorized("a key is needed"), Code.UNAUTHENTICATED),
    (e.NotReady("the model is not loaded yet"), Code.UNAVAILABLE),
    (e.Overloaded("too many images are waiting for the model; retry later"), Code.RESOURCE_EXHAUSTED),
    (e.DeadlineExceeded("no result within the deadline of 10 s"), Code.DEADLINE_EXCEEDED),
]


class Context:
    """Records what the wrapper tells grpc's ServicerContext; ``abort`` raises as grpc's does."""

    def __init__(self, metadata: Metadata = ()) -> None:
        self.metadata: Metadata = metadata
        self.trailing: Metadata = ()
        self.aborted: tuple[Any, str] | None = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.metadata

    def set_trailing_metadata(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self.trailing = metadata

    def time_remaining(self) -> float | None:
        return None

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise grpc.aio.AbortError


class Raising(InferenceServicer):
    """A servicer whose calls raise ``self.error`` from inside the real wrapper."""

    error: BaseException = RuntimeError()

    @rpc()
    async def ServerLive(self, request: Any, context: Any, fields: Fields) -> Any:
        raise self.error

    @rpc(admit=True)
    async def ModelInfer(self, request: Any, context: Any, fields: Fields) -> Any:
        fields["images"] = 3
        raise self.error


def servicer(error: BaseException, inflight_limit: int = 4) -> Raising:
    state = ServiceState(Settings(model_repository=MODELS))
    server = Raising(state, Metrics(), Admission(inflight_limit), "test")
    server.error = error
    return server


def call(server: Raising, method: str = "ServerLive", metadata: tuple[tuple[str, str], ...] = ()) -> Context:
    context = Context(metadata)
    with pytest.raises(grpc.aio.AbortError):
        asyncio.run(getattr(server, method)(object(), context))
    return context


def grpc_requests(server: Raising, method: str, status: str) -> float | None:
    labels = {"route": f"/{SERVICE}/{method}", "method": "POST", "status": status, "protocol": "grpc"}
    return server.metrics.registry.get_sample_value("digits_requests_total", labels)


def test_the_grpc_table_has_a_row_for_every_row_of_the_http_table() -> None:
    assert set(GRPC_STATUS) == set(STATUS), "a domain error must mean the same over HTTP and gRPC"


def test_every_domain_error_is_internal_over_grpc_exactly_when_it_is_500_over_http() -> None:
    def subclasses(cls: type[e.ServiceError]) -> set[type[e.ServiceError]]:
        return {cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))}

    for cls in subclasses(e.ServiceError) - {e.ServiceError}:
        error = cls("x")
        internal = status_for(error) == Code.INTERNAL
        assert internal == (http_status_for(error)[0] == 500), f"{cls.__name__} differs between the tables"


@pytest.mark.parametrize(("error", "code"), ROWS, ids=[type(error).__name__ for error, _ in ROWS])
def test_each_domain_error_gets_its_status_and_its_own_message(error: e.ServiceError, code: Any) -> None:
    server = servicer(error)
    assert call(server).aborted == (code, error.message)
    assert grpc_requests(server, "ServerLive", code.name) == 1, "counted under its status code's name"


def test_a_model_load_error_is_internal_and_says_nothing_of_the_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = call(servicer(e.ModelLoadError("/secret/models/2/model.onnx: sha256 mismatch")))
    assert context.aborted == (Code.INTERNAL, "internal server error")
    assert "sha256 mismatch" in caplog.text, "the cause is logged for the operator"


def test_a_bug_is_internal_logged_with_its_traceback_and_never_leaked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        context = call(servicer(KeyError("/secret/path")))
    assert context.aborted == (Code.INTERNAL, "internal server error")
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "ServerLive" in record.getMessage() and record.exc_info and record.exc_info[0] is KeyError


def test_past_the_inflight_cap_inference_is_refused_and_the_place_is_given_back() -> None:
    server = servicer(e.InvalidInput("never reached"), inflight_limit=1)
    assert server.admission.enter(), "an HTTP request holds the only place"
    context = call(server, "ModelInfer")
    assert context.aborted == (
        Code.RESOURCE_EXHAUSTED,
        "the service is at capacity (1 requests in progress); retry",
    )
    assert server.metrics.rejected._value.get() == 1
    server.admission.leave()
    assert call(server, "ModelInfer").aborted == (Code.INVALID_ARGUMENT, "never reached")
    assert server.admission.inflight == 0, "a failed call gives its place back"


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced() -> None:
    server = servicer(e.NotReady("not yet"))
    assert call(server, metadata=(("x-request-id", "abc-1"),)).trailing == (("x-request-id", "abc-1"),)
    ((key, made_up),) = call(server, metadata=(("x-request-id", "a b\nc"),)).trailing
    assert key == "x-request-id" and len(made_up) == 32 and made_up != "a b\nc"
