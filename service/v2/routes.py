"""The Open Inference Protocol v2 over REST (KServe / Triton), so tritonclient and perf_analyzer work.

Routes, all under ``/v2``; each ``/models/{name}`` route has a ``/models/{name}/versions/{version}``
twin, and without a version the model's served version is used:

* ``GET /v2``: server metadata; ``GET /v2/health/live`` and ``/v2/health/ready``: probes.
* ``GET /v2/models/{name}``: metadata; ``.../ready``: readiness; ``.../config``: Triton's model config.
* ``POST /v2/models/{name}/infer``: inference, JSON or with binary tensor data (``service.v2.codec``).

Inference goes through the same batcher as ``/predict``. Errors are the protocol's
``{"error": "<message>"}`` with the status from the service's one error table, except that the
protocol answers every unacceptable request with 400 where the table says 422.
"""

from __future__ import annotations

import logging
from functools import partial

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.codec import INLINE_DECODE_BYTES
from service.api.deps import StateDep
from service.errors import ModelNotFound, UnsupportedMediaType
from service.state import ServiceState
from service.v2 import describe
from service.v2.codec import DecodedRequest, decode_request, encode_response
from service.v2.schemas import (
    INFER_BODY,
    INFER_RESPONSES,
    InferResponse,
    ModelConfig,
    ModelMetadata,
    ModelReady,
    ServerLive,
    ServerMetadata,
    ServerReady,
    v2_error_responses,
)

log = logging.getLogger(__name__)

EXTENSIONS = ["binary_tensor_data", "model_configuration"]
HEADER_LENGTH = "Inference-Header-Content-Length"


router = APIRouter(prefix="/v2", tags=["open inference protocol (v2)"])
MODEL_ERRORS = v2_error_responses(404, 503)


@router.get("", response_model=ServerMetadata, summary="Server metadata")
async def server_metadata(request: Request) -> ServerMetadata:
    return ServerMetadata(name=describe.SERVER_NAME, version=request.app.version, extensions=EXTENSIONS)


@router.get("/health/live", response_model=ServerLive, summary="Liveness: the process is up")
async def server_live() -> ServerLive:
    return ServerLive(live=True)


@router.get(
    "/health/ready", response_model=ServerReady, responses=v2_error_responses(503), summary="Readiness"
)
async def server_ready(state: StateDep) -> ServerReady:
    state.models()  # raises NotReady -> 503
    return ServerReady(ready=True)


@router.get("/models/{name}", response_model=ModelMetadata, responses=MODEL_ERRORS)
async def model_metadata(name: str, state: StateDep) -> ModelMetadata:
    return describe.model_metadata(state, state.model(name))


@router.get("/models/{name}/versions/{version}", response_model=ModelMetadata, responses=MODEL_ERRORS)
async def model_version_metadata(name: str, version: str, state: StateDep) -> ModelMetadata:
    return describe.model_metadata(state, state.model(name, _version(name, version)))


@router.get("/models/{name}/ready", response_model=ModelReady, responses=MODEL_ERRORS)
async def model_ready(name: str, state: StateDep) -> ModelReady:
    return ModelReady(name=state.model(name).name, ready=True)


@router.get(
    "/models/{name}/versions/{version}/ready",
    response_model=ModelReady,
    responses=MODEL_ERRORS,
)
async def model_version_ready(name: str, version: str, state: StateDep) -> ModelReady:
    return ModelReady(name=state.model(name, _version(name, version)).name, ready=True)


@router.get("/models/{name}/config", response_model=ModelConfig, responses=MODEL_ERRORS)
async def model_config(name: str, state: StateDep) -> ModelConfig:
    return describe.model_config(state.model(name), state.settings)


@router.get(
    "/models/{name}/versions/{version}/config",
    response_model=ModelConfig,
    responses=MODEL_ERRORS,
)
async def model_version_config(name: str, version: str, state: StateDep) -> ModelConfig:
    return describe.model_config(state.model(name, _version(name, version)), state.settings)


@router.post(
    "/models/{name}/infer",
    response_model=InferResponse,
    responses=INFER_RESPONSES,
    openapi_extra={"requestBody": INFER_BODY},
)
async def infer(name: str, request: Request, state: StateDep) -> Response:
    return await _infer(request, state, name, None)


@router.post(
    "/models/{name}/versions/{version}/infer",
    response_model=InferResponse,
    responses=INFER_RESPONSES,
    openapi_extra={"requestBody": INFER_BODY},
)
async def infer_version(name: str, version: str, request: Request, state: StateDep) -> Response:
    return await _infer(request, state, name, _version(name, version))


async def _infer(request: Request, state: ServiceState, name: str, version: int | None) -> Response:
    """Decode, classify through the batcher, encode."""
    model = state.model(name, version)  # unknown model or not ready: answered before reading the body
    decoded = await _decode(request, model.runtime.sidecar.input_name, state.settings.max_images_per_request)
    request.state.images = len(decoded.images)
    used, probabilities, uncertain = await state.classify(decoded.images, name, version)
    body, header_length = encode_response(
        probabilities, uncertain, used.name, used.version, decoded.request_id, decoded.outputs
    )
    if header_length is None:
        return Response(body, media_type="application/json")
    return Response(body, media_type="application/octet-stream", headers={HEADER_LENGTH: str(header_length)})


async def _decode(request: Request, input_name: str, max_images: int) -> DecodedRequest:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported; send the body uncompressed"
        )
    body = await request.body()
    decode = partial(decode_request, body, request.headers.get(HEADER_LENGTH), input_name, max_images)
    return decode() if len(body) <= INLINE_DECODE_BYTES else await run_in_threadpool(decode)


def _version(name: str, text: str) -> int:
    version = describe.parse_version(name, text)
    if version is None:  # an empty path segment never reaches a route; kept total for mypy
        raise ModelNotFound(f"model {name} has no version {text!r}; versions are whole numbers")
    return version
