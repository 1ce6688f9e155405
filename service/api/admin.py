"""Management routes, protected by ``DIGITS_ADMIN_API_KEY`` and absent (404) without it."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from service.api.deps import SettingsDep, StateDep
from service.api.schemas import error_responses
from service.errors import Unauthorized

router = APIRouter(prefix="/admin", tags=["admin"])


def require_api_key(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """``Authorization: Bearer <key>`` must match the configured key (compared in constant time)."""
    if settings.admin_api_key is None:
        raise HTTPException(404, "Not Found")
    expected = settings.admin_api_key.get_secret_value().encode()
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected):
        raise Unauthorized("a valid 'Authorization: Bearer <key>' header is required")


class ReloadResult(BaseModel):
    loaded: list[str]
    rejected: dict[str, str]
    retired: list[str]
    serving: dict[str, list[int]]


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses=error_responses(401, 404, 503),
    dependencies=[Depends(require_api_key)],
    summary="Scan the model repository now: load and validate new versions, then swap them in",
)
async def reload(state: StateDep) -> ReloadResult:
    repo = state.models()
    report = await repo.reload()
    serving = {name: repo.versions(name) for name in repo.names()}
    return ReloadResult(
        loaded=report.loaded, rejected=report.rejected, retired=report.retired, serving=serving
    )
