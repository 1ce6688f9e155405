"""Domain exceptions. They know nothing of HTTP; ``service.http.errors`` maps them.

Each carries a stable machine-readable ``code`` and a human message that says
what was wrong. Messages must never include internals (paths, tracebacks).
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class of every error the service raises on purpose."""

    code = "service_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    """The request is well-formed but its content is not acceptable."""

    code = "invalid_input"


class InvalidArray(InvalidInput):
    """A pixel array has the wrong shape, NaN/inf, or values out of range."""

    code = "invalid_array"


class UnsupportedImageFormat(InvalidInput):
    """The bytes are not an image in a format we decode."""

    code = "unsupported_image_format"


class UnsupportedMediaType(InvalidInput):
    """The request body's content type is not one the endpoint accepts."""

    code = "unsupported_media_type"


class CorruptImage(InvalidInput):
    """The bytes look like a supported image but cannot be decoded (truncated, damaged)."""

    code = "corrupt_image"


class NoDigit(InvalidInput):
    """An uploaded image has nothing to read: it is blank, uniform, or only noise."""

    code = "no_digit"


class TooManyDigits(InvalidInput):
    """An image holds more digits than one number may have (``max_digits_per_image``)."""

    code = "too_many_digits"


class TooLarge(ServiceError):
    """Something exceeds a configured limit."""

    code = "too_large"


class PayloadTooLarge(TooLarge):
    """The request body exceeds the byte limit."""

    code = "payload_too_large"


class TooManyPixels(TooLarge):
    """An image declares more pixels than allowed (decompression-bomb guard)."""

    code = "too_many_pixels"


class TooManyImages(TooLarge):
    """A request carries more images than allowed."""

    code = "too_many_images"


class ModelNotFound(ServiceError):
    """No loaded model (or version) has that name."""

    code = "model_not_found"


class ModelLoadError(ServiceError):
    """A model file or its sidecar is missing, corrupt or mismatched (start-up or reload)."""

    code = "model_load_error"


class Unauthorized(ServiceError):
    """A management route was called without the right API key."""

    code = "unauthorized"


class NotReady(ServiceError):
    """The model is not loaded and warmed up yet, or the service is shutting down."""

    code = "not_ready"


class Overloaded(ServiceError):
    """The batching queue is full; the client should retry later."""

    code = "overloaded"


class DeadlineExceeded(ServiceError):
    """A request waited longer than its deadline for a result."""

    code = "deadline_exceeded"
