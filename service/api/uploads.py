"""The request bodies that ``/predict`` and ``/read`` accept, read once for both.

:func:`read_uploads` decides by the content type: JSON (:class:`~service.api.schemas.PredictRequest`)
or multipart files (a ``return_input`` form field may ask for the inputs). Both routes share the
limits (images per request, pixels per image), the errors and the counting of uploads without a
digit; each passes its own readers, which turn the images into what it needs (28x28 inputs for
``/predict``, digit candidates for ``/read``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from service.api.multipart import parse_form
from service.errors import UnsupportedMediaType
from service.state import ServiceState

X = TypeVar("X")
FromFiles = Callable[[Sequence[bytes], int, int], Awaitable[X]]
"""Files, most images, most pixels -> what the route reads from them."""
FromJson = Callable[[bytes, int, int], Awaitable[tuple[X, bool]]]
"""A JSON body, most images, most pixels -> what the route reads from it, and ``return_input``."""
TRUE_FLAGS = ("1", "true", "yes", "on")


async def read_uploads(
    state: ServiceState,
    content_type: str,
    body: bytes,
    return_input: bool,
    from_files: FromFiles[X],
    from_json: FromJson[X],
) -> tuple[X, bool]:
    """A request body -> what the route's readers make of its images, and whether the inputs are asked
    for (by the query flag, the JSON field or a form field)."""
    settings = state.settings
    media_type = content_type.split(";")[0].strip().lower()
    limits = (settings.max_images_per_request, settings.max_image_pixels)
    with state.counting_refusals():
        if media_type == "application/json":
            items, asked = await from_json(body, *limits)
            return items, return_input or asked
        if media_type == "multipart/form-data":
            form = parse_form(body, content_type, max_files=settings.max_images_per_request)
            asked = form.fields.get("return_input", "").lower() in TRUE_FLAGS
            return await from_files(form.files, *limits), return_input or asked
    raise UnsupportedMediaType(
        f"content type '{media_type or 'none'}' is not supported; "
        "send multipart/form-data with image files or application/json"
    )
