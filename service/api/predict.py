"""``POST /predict``: classify uploaded image files (multipart) or a JSON batch.

The handler reads top to bottom: decode, submit to the batcher, encode. Only
``service.codec`` knows the wire formats.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from service.api.examples import SEVEN_PNG_BASE64, TWO_PIXELS
from service.codec import encode_predictions, images_from_files, images_from_json
from service.config import Settings
from service.deps import StateDep
from service.errors import InvalidInput, TooManyImages, UnsupportedMediaType
from service.schemas import PredictRequest, PredictResponse, error_responses

router = APIRouter(tags=["predict"])

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "One or more image files (PNG, JPEG, GIF, BMP, WebP, TIFF), "
                        "each as a part named `file`.",
                    },
                },
            },
        },
        "application/json": {
            "schema": PredictRequest.model_json_schema(),
            "examples": {
                "png": {"summary": "A base64 PNG file", "value": {"images": [SEVEN_PNG_BASE64]}},
                "pixels": {"summary": "A 28x28 pixel array (0-255)", "value": {"images": [TWO_PIXELS]}},
                "batch": {
                    "summary": "Several images, returning the model's input",
                    "value": {"images": [SEVEN_PNG_BASE64, TWO_PIXELS], "return_input": True},
                },
            },
        },
    },
}


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses=error_responses(413, 415, 422, 503, 504),
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Classify one or more digit images",
)
async def predict(
    request: Request,
    state: StateDep,
    return_input: bool = Query(False, description="Also return the 28x28 input the model saw."),
) -> Response:
    state.models()  # not ready: 503 before reading the body
    images, return_input = await _read_images(request, state.settings, return_input)
    request.state.images = len(images)
    model, probabilities = await state.classify(images)
    body = encode_predictions(probabilities, model.name, model.version, images if return_input else None)
    return Response(body, media_type="application/json")


async def _read_images(request: Request, settings: Settings, return_input: bool) -> tuple[Any, bool]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limits = (settings.max_images_per_request, settings.max_image_pixels)
    if content_type == "application/json":
        images, asked = await images_from_json(await request.body(), *limits)
        return images, return_input or asked
    if content_type == "multipart/form-data":
        files, asked = await _read_form(request, settings.max_images_per_request)
        return await images_from_files(files, *limits), return_input or asked
    raise UnsupportedMediaType(
        f"content type '{content_type or 'none'}' is not supported; "
        "send multipart/form-data with image files or application/json"
    )


async def _read_form(request: Request, max_images: int) -> tuple[list[bytes], bool]:
    """The uploaded files and the ``return_input`` field; Starlette's parse errors become ours.

    Starlette answers a malformed body (no boundary, bad framing) or one file too many with a bare
    400 that our OpenAPI document does not list; they are a 422 and a 413 like every other bad input.
    """
    try:
        async with request.form(max_files=max_images + 1, max_fields=16) as form:
            files = [await part.read() for _, part in form.multi_items() if isinstance(part, UploadFile)]
            asked = str(form.get("return_input", "")).lower() in ("1", "true", "yes")
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        if str(exc.detail).startswith("Too many files"):
            raise TooManyImages(
                f"more than {max_images} images in one request; the limit is {max_images}"
            ) from exc
        raise InvalidInput(f"the multipart body cannot be parsed: {exc.detail}") from exc
    return files, asked
