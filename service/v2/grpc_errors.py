"""The one table that maps domain errors to gRPC status codes: the gRPC twin of the HTTP table.

:data:`GRPC_STATUS` has a row for every row of :data:`service.http.errors.STATUS` (a test keeps the
two in step), so a domain error means the same over both transports: bad input is
``INVALID_ARGUMENT`` where HTTP says 415/422, an unknown model ``NOT_FOUND`` (404), a limit
``RESOURCE_EXHAUSTED`` (413), overload ``RESOURCE_EXHAUSTED`` (HTTP's 503 with Retry-After: gRPC keeps
``UNAVAILABLE`` for a server that is not serving), not ready ``UNAVAILABLE`` (503) and a missed
deadline ``DEADLINE_EXCEEDED`` (504). Anything else is ``INTERNAL``, logged with its traceback and
answered with a generic message that leaks nothing.
"""

from __future__ import annotations

import logging

import grpc

from service import errors as e

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal server error"
Code = grpc.StatusCode
# The most specific class wins (looked up along the MRO).
GRPC_STATUS: dict[type[e.ServiceError], grpc.StatusCode] = {
    e.InvalidInput: Code.INVALID_ARGUMENT,
    e.TooManyDigits: Code.INVALID_ARGUMENT,
    e.UnsupportedImageFormat: Code.INVALID_ARGUMENT,
    e.UnsupportedMediaType: Code.INVALID_ARGUMENT,
    e.TooLarge: Code.RESOURCE_EXHAUSTED,
    e.Unauthorized: Code.UNAUTHENTICATED,
    e.ModelNotFound: Code.NOT_FOUND,
    e.NotReady: Code.UNAVAILABLE,
    e.Overloaded: Code.RESOURCE_EXHAUSTED,
    e.DeadlineExceeded: Code.DEADLINE_EXCEEDED,
    e.ModelLoadError: Code.INTERNAL,
}


def status_for(exc: e.ServiceError) -> grpc.StatusCode:
    for cls in type(exc).__mro__:
        if cls in GRPC_STATUS:
            return GRPC_STATUS[cls]
    return Code.INTERNAL


def service_error_reply(method: str, exc: e.ServiceError) -> tuple[grpc.StatusCode, str]:
    """A domain error as ``(status, message)``; ``INTERNAL`` is logged and says nothing of the cause."""
    code = status_for(exc)
    if code == Code.INTERNAL:
        log.error("service error in %s: %s", method, exc.message)
        return code, INTERNAL_MESSAGE
    return code, exc.message


def unexpected_error_reply(method: str) -> tuple[grpc.StatusCode, str]:
    """A bug: logged with its traceback (call from an ``except`` block), answered with a bare INTERNAL."""
    log.exception("unhandled error in %s", method)
    return Code.INTERNAL, INTERNAL_MESSAGE
