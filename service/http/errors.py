"""The one table that maps domain errors to HTTP, and the handlers that use it.

Every error body is ``{"error": {"code": ..., "message": ...}}``, or under ``/v2`` the Open
Inference Protocol's ``{"error": "..."}``. Client
mistakes get a 4xx that says what was wrong; anything unexpected is logged
with its traceback and answered with a generic 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import errors as e

log = logging.getLogger(__name__)

RETRY = {"Retry-After": "1"}
# (status, extra headers); the most specific class wins (looked up along the MRO).
STATUS: dict[type[e.ServiceError], tuple[int, dict[str, str] | None]] = {
    e.InvalidInput: (422, None),
    e.TooManyDigits: (422, None),
    e.UnsupportedImageFormat: (415, None),
    e.UnsupportedMediaType: (415, None),
    e.TooLarge: (413, None),
    e.Unauthorized: (401, {"WWW-Authenticate": "Bearer"}),
    e.ModelNotFound: (404, None),
    e.NotReady: (503, RETRY),
    e.Overloaded: (503, RETRY),
    e.DeadlineExceeded: (504, None),
    e.ModelLoadError: (500, None),
}


V2_PREFIX = "/v2"


def is_v2(path: str) -> bool:
    return path == V2_PREFIX or path.startswith(V2_PREFIX + "/")


def error_body(path: str, code: str, message: str) -> dict[str, Any]:
    """Our shape, ``{"error": {"code", "message"}}``, or the v2 protocol's ``{"error": message}``."""
    if is_v2(path):
        return {"error": message}
    return {"error": {"code": code, "message": message}}


def error_response(
    path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The protocol answers every unacceptable request with 400 where our table says 422."""
    if status == 422 and path.startswith(V2_PREFIX):
        status = 400
    return JSONResponse(error_body(path, code, message), status_code=status, headers=headers)


def status_for(exc: e.ServiceError) -> tuple[int, dict[str, str] | None]:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, None


def service_error_response(path: str, exc: e.ServiceError) -> JSONResponse:
    """A domain error as its HTTP answer; a 500 is logged and says nothing of the cause."""
    status, headers = status_for(exc)
    if status == 500:
        log.error("service error on %s: %s", path, exc.message)
        return error_response(path, 500, "internal_error", "internal server error")
    return error_response(path, status, exc.code, exc.message, headers)


def unexpected_error_response(path: str, method: str) -> JSONResponse:
    """A bug: logged with its traceback (call from an ``except`` block), answered with a bare 500."""
    log.exception("unhandled error on %s %s", method, path)
    return error_response(path, 500, "internal_error", "internal server error")


async def handle_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.ServiceError)
    return service_error_response(request.url.path, exc)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()[:5]
    )
    return error_response(request.url.path, 422, "invalid_request", problems or "invalid request")


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = getattr(exc, "headers", None)
    return error_response(request.url.path, exc.status_code, code, str(exc.detail), headers)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(request.url.path, request.method)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.ServiceError, handle_service_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(Exception, handle_unexpected)
