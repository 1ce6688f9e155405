"""``POST /predict``: classify uploaded image files (multipart) or a JSON batch.

:func:`classify_body` reads top to bottom: decode, submit to the batcher, encode; only
``service.api.codec`` and ``service.api.multipart`` know the wire formats. Two doors lead to it: the FastAPI
route below, which documents the endpoint in OpenAPI, and :func:`direct`, which the gateway calls
without FastAPI's per-request machinery (``DIGITS_DIRECT_PREDICT``, on by default). Both give the same
answers and errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter, ValidationError

from service.api.codec import encode_predictions, images_from_files, images_from_json
from service.api.deps import StateDep
from service.api.examples import SEVEN_PNG_BASE64, TWO_PIXELS
from service.api.schemas import PredictRequest, PredictResponse, error_responses
from service.api.uploads import read_uploads
from service.errors import InvalidInput
from service.http.gateway import DirectRequest
from service.state import ServiceState

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
    content_type = request.headers.get("content-type", "")
    payload, request.state.images = await classify_body(
        state, content_type, await request.body(), return_input
    )
    return Response(payload, media_type="application/json")


async def direct(state: ServiceState, request: DirectRequest) -> bytes:
    """The same endpoint for :class:`service.http.gateway.Gateway`: the response body, or a domain error."""
    state.models()
    return_input = query_flag(request.query(), "return_input")
    content_type = request.header(b"content-type")
    payload, request.state["images"] = await classify_body(
        state, content_type, await request.body(), return_input
    )
    return payload


async def classify_body(
    state: ServiceState, content_type: str, body: bytes, return_input: bool
) -> tuple[bytes, int]:
    """A request body -> (the JSON response, how many images it carried)."""
    images, return_input = await _read_images(state, content_type, body, return_input)
    model, probabilities, uncertain = await state.classify(images)
    inputs = images if return_input else None
    return encode_predictions(probabilities, uncertain, model.name, model.version, inputs), len(images)


async def _read_images(
    state: ServiceState, content_type: str, body: bytes, return_input: bool
) -> tuple[np.ndarray, bool]:
    return await read_uploads(state, content_type, body, return_input, images_from_files, images_from_json)


_BOOL = TypeAdapter(bool)


def query_flag(query: dict[str, str], name: str) -> bool:
    """A boolean query parameter, parsed exactly as FastAPI parses ``Query(False)``."""
    if name not in query:
        return False
    try:
        return _BOOL.validate_python(query[name])
    except ValidationError as exc:
        raise InvalidInput(f"query.{name}: {exc.errors()[0]['msg']}") from None
