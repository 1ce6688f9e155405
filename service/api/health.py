"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import StateDep
from service.api.schemas import Health, error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses=error_responses(503),
    summary="Readiness: the model is loaded and warmed up",
)
async def readyz(state: StateDep) -> Health:
    state.models()  # raises NotReady -> 503 with Retry-After
    return Health(status="ready")
