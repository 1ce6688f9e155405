"""What model is being served."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import StateDep
from service.api.schemas import ModelInfo, error_responses

router = APIRouter(tags=["model"])


@router.get(
    "/model",
    response_model=ModelInfo,
    responses=error_responses(503),
    summary="The served model: name, version, sha256, accuracy, provider and input contract",
)
async def model_info(state: StateDep) -> ModelInfo:
    return ModelInfo.model_validate(state.model().runtime.metadata())
