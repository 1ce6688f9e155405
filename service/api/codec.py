"""Decode requests into model input and encode results: the only code that knows the wire format.

Small payloads are decoded on the event loop (a 28x28 PNG takes ~20-30 µs, README command 4);
payloads over ``INLINE_DECODE_BYTES`` go to a worker thread so one big photo
cannot stall every other request. :func:`images_from_files` and :func:`images_from_json` give
``/predict``'s 28x28 inputs; :func:`items_from_files` and :func:`items_from_json` read the same
requests, with the same limits and errors, through other functions (``/read``'s segmentation).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Literal, TypeVar

import numpy as np
import orjson
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from service.api.schemas import PredictRequest
from service.errors import InvalidInput, ServiceError, TooManyImages
from service.images.preprocess import array_to_input, preprocess_image

INLINE_DECODE_BYTES = 64 * 1024
_REQUEST_FIELDS = set(PredictRequest.model_fields)
T = TypeVar("T")
ReadFile = Callable[[bytes, int], T]
"""Image file bytes and the pixel limit -> what a route makes of one image."""
ReadArray = Callable[[Any, Literal["0-255", "0-1"]], T]
"""A client-sent pixel array and its value range -> what a route makes of one image."""


async def images_from_files(files: Sequence[bytes], max_images: int, max_pixels: int) -> np.ndarray:
    """Uploaded image files -> ``float32[N, 28, 28]``."""
    _check_count(len(files), max_images)
    jobs = _file_jobs(files, max_pixels, preprocess_image)
    return await _run_all(jobs, sum(len(f) for f in files))


async def images_from_json(body: bytes, max_images: int, max_pixels: int) -> tuple[np.ndarray, bool]:
    """A JSON :class:`PredictRequest` body -> ``(float32[N, 28, 28], return_input)``."""
    request = _parse_request(body)
    _check_count(len(request.images), max_images)
    jobs = _json_jobs(request, max_pixels, preprocess_image, array_to_input)
    return await _run_all(jobs, _encoded_bytes(request)), request.return_input


async def items_from_files(
    files: Sequence[bytes], max_images: int, max_pixels: int, read_file: ReadFile[T]
) -> list[T]:
    """Uploaded image files -> ``read_file`` of each, with :func:`images_from_files`'s limits."""
    _check_count(len(files), max_images)
    return await _run_each(_file_jobs(files, max_pixels, read_file), sum(len(f) for f in files))


async def items_from_json(
    body: bytes, max_images: int, max_pixels: int, read_file: ReadFile[T], read_array: ReadArray[T]
) -> tuple[list[T], bool]:
    """A JSON :class:`PredictRequest` body -> ``read_file`` of each file, ``read_array`` of each array."""
    request = _parse_request(body)
    _check_count(len(request.images), max_images)
    jobs = _json_jobs(request, max_pixels, read_file, read_array)
    return await _run_each(jobs, _encoded_bytes(request)), request.return_input


def encode_predictions(
    probabilities: np.ndarray,
    uncertain: np.ndarray,
    model: str,
    version: int,
    inputs: np.ndarray | None = None,
) -> bytes:
    """Probabilities ``[N, 10]`` and uncertainty flags ``[N]`` -> the :class:`PredictResponse` JSON."""
    digits = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(digits)), digits]
    # Python scalars from tolist(), made once per array, cost less than one conversion per value.
    values = digits.tolist(), confidence.astype(np.float64).tolist(), uncertain.tolist()
    predictions: list[dict[str, Any]] = [
        {"digit": d, "confidence": c, "uncertain": u, "probabilities": p}
        for d, c, u, p in zip(*values, probabilities, strict=True)
    ]
    if inputs is not None:
        for prediction, pixels in zip(predictions, inputs, strict=True):
            prediction["input"] = pixels
    document = {"model": model, "version": version, "predictions": predictions}
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def _file_jobs(files: Sequence[bytes], max_pixels: int, read_file: ReadFile[T]) -> list[Callable[[], T]]:
    return [partial(read_file, data, max_pixels) for data in files]


def _json_jobs(
    request: PredictRequest, max_pixels: int, read_file: ReadFile[T], read_array: ReadArray[T]
) -> list[Callable[[], T]]:
    return [
        partial(_decode_file, item, max_pixels, read_file)
        if isinstance(item, str)
        else partial(read_array, item, request.value_range)
        for item in request.images
    ]


def _encoded_bytes(request: PredictRequest) -> int:
    return sum(len(i) for i in request.images if isinstance(i, str))


async def _run_all(jobs: Sequence[Callable[[], np.ndarray]], payload_bytes: int) -> np.ndarray:
    def run() -> np.ndarray:
        out = np.empty((len(jobs), 28, 28), dtype=np.float32)
        _each(jobs, out.__setitem__)
        return out

    return run() if payload_bytes <= INLINE_DECODE_BYTES else await run_in_threadpool(run)


async def _run_each(jobs: Sequence[Callable[[], T]], payload_bytes: int) -> list[T]:
    def run() -> list[T]:
        out: list[T] = []
        _each(jobs, lambda _, item: out.append(item))
        return out

    return run() if payload_bytes <= INLINE_DECODE_BYTES else await run_in_threadpool(run)


def _each(jobs: Sequence[Callable[[], T]], store: Callable[[int, T], object]) -> None:
    """Run every job in order and store its result; a domain error names the image it came from."""
    for index, job in enumerate(jobs):
        try:
            store(index, job())
        except ServiceError as exc:
            if len(jobs) > 1:
                exc.message = f"images[{index}]: {exc.message}"
                exc.args = (exc.message,)
            raise


def _check_count(count: int, max_images: int) -> None:
    if count == 0:
        raise InvalidInput("no images in the request")
    if count > max_images:
        raise TooManyImages(f"{count} images in one request; the limit is {max_images}")


def _parse_request(body: bytes) -> PredictRequest:
    """orjson and a shape check for well-formed bodies (4x cheaper); pydantic says what is wrong."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None  # not strict JSON (e.g. NaN): let pydantic parse it or explain why not
    if (
        isinstance(doc, dict)
        and doc.keys() <= _REQUEST_FIELDS
        and isinstance(images := doc.get("images"), list)
        and images
        and all(isinstance(item, str | list) for item in images)
        and doc.get("value_range", "0-255") in ("0-255", "0-1")
        and isinstance(doc.get("return_input", False), bool)
    ):
        return PredictRequest.model_construct(**doc)
    try:
        return PredictRequest.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(_describe(exc)) from None


def _decode_file(text: str, max_pixels: int, read_file: ReadFile[T]) -> T:
    return read_file(_b64decode(text), max_pixels)


def _b64decode(text: str) -> bytes:
    if text.startswith("data:") and "," in text:  # accept data URLs from browsers
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("image is neither valid base64 nor a 28x28 pixel array") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("str", "list[")))
        parts.append(f"{where or 'body'}: {err['msg']}")
    return "invalid JSON request: " + "; ".join(parts)
