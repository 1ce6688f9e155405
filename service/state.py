"""What the running service holds: settings, the model repository, readiness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.config import Settings
from service.errors import NotReady
from service.inference.repository import ModelRepository
from service.inference.versions import LoadedModel


@dataclass
class ServiceState:
    settings: Settings
    repository: ModelRepository | None = None
    ready: bool = False

    def models(self) -> ModelRepository:
        """The repository, once start-up has loaded and warmed the default model."""
        if not self.ready or self.repository is None or not self.repository.ready():
            raise NotReady("the model is not loaded yet")
        return self.repository

    def model(self, name: str | None = None, version: int | None = None) -> LoadedModel:
        return self.models().get(name, version)

    async def classify(
        self, images: np.ndarray, name: str | None = None, version: int | None = None
    ) -> tuple[LoadedModel, np.ndarray]:
        """``float32[N, 28, 28]`` -> (the version used, probabilities ``[N, 10]``), via its batcher."""
        deadline_s = self.settings.request_timeout_ms / 1000
        return await self.models().classify(images, name, version, deadline_s)
