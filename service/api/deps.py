"""FastAPI dependencies as ``Annotated`` aliases, all in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.config import Settings
from service.state import ServiceState


# async on purpose: FastAPI runs plain ``def`` dependencies in a thread pool, a hop that cost
# ~5% of the CPU time of every /predict in a profile.
async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


async def get_settings(request: Request) -> Settings:
    return (await get_state(request)).settings


StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
