"""``POST /read``: read whole numbers (a house number, a meter, a score) from uploaded images.

The request is ``/predict``'s, read by the same code with the same limits and errors
(:mod:`service.api.uploads`): multipart files or JSON. :func:`read_body` reads top to bottom: decode
each image into digit candidates, submit all of them in one model call, choose and encode. As for
``/predict``, two doors lead to it: the FastAPI route, which documents it, and :func:`direct` for the
gateway (``DIGITS_DIRECT_PREDICT``), with the same answers and errors.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from service.api.deps import StateDep
from service.api.examples import FORTY_TWO_PNG_BASE64
from service.api.numbers import candidates_from_files, candidates_from_json, encode_numbers, model_input
from service.api.predict import REQUEST_BODY, query_flag
from service.api.schemas import ReadResponse, error_responses
from service.api.uploads import read_uploads
from service.http.gateway import DirectRequest
from service.state import ServiceState

router = APIRouter(tags=["read"])

EXAMPLES: dict[str, Any] = {
    "number": {"summary": "A base64 PNG of the number 42", "value": {"images": [FORTY_TWO_PNG_BASE64]}},
    "inputs": {
        "summary": "The same, returning each digit's 28x28 input",
        "value": {"images": [FORTY_TWO_PNG_BASE64], "return_input": True},
    },
}
MULTIPART = REQUEST_BODY["content"]["multipart/form-data"]
JSON_SCHEMA = REQUEST_BODY["content"]["application/json"]["schema"]
READ_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": MULTIPART,
        "application/json": {"schema": JSON_SCHEMA, "examples": EXAMPLES},
    },
}


@router.post(
    "/read",
    response_model=ReadResponse,
    responses=error_responses(413, 415, 422, 503, 504),
    openapi_extra={"requestBody": READ_BODY},
    summary="Read the number in each of one or more images",
    description="Each image is split into its digits, left to right; every digit of every image is "
    "classified in one model call. Limits and errors are those of POST /predict, plus at most "
    "`DIGITS_MAX_DIGITS_PER_IMAGE` digits per image (422 `too_many_digits`).",
)
async def read(
    request: Request,
    state: StateDep,
    return_input: bool = Query(False, description="Also return each digit's 28x28 model input."),
) -> Response:
    state.models()  # not ready: 503 before reading the body
    content_type = request.headers.get("content-type", "")
    payload, request.state.images = await read_body(state, content_type, await request.body(), return_input)
    return Response(payload, media_type="application/json")


async def direct(state: ServiceState, request: DirectRequest) -> bytes:
    """The same endpoint for :class:`service.http.gateway.Gateway`: the response body, or a domain error."""
    state.models()
    return_input = query_flag(request.query(), "return_input")
    content_type = request.header(b"content-type")
    payload, request.state["images"] = await read_body(
        state, content_type, await request.body(), return_input
    )
    return payload


async def read_body(
    state: ServiceState, content_type: str, body: bytes, return_input: bool
) -> tuple[bytes, int]:
    """A request body -> (the JSON response, how many images it carried)."""
    max_digits = state.settings.max_digits_per_image
    from_files = partial(candidates_from_files, max_digits=max_digits)
    from_json = partial(candidates_from_json, max_digits=max_digits)
    numbers, return_input = await read_uploads(state, content_type, body, return_input, from_files, from_json)
    images = model_input(numbers, state.settings.max_queue_images)
    model, probabilities, uncertain = await state.classify(images)
    payload = encode_numbers(
        numbers, probabilities, uncertain, (model.name, model.version), max_digits, return_input
    )
    return payload, len(numbers)
