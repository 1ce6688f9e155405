"""What the running service holds: settings, the model repository, readiness."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from service.config import Settings
from service.errors import NoDigit, NotReady
from service.inference.repository import ModelRepository
from service.inference.versions import LoadedModel


class JudgementObserver(Protocol):
    """Counts what the service decided about uploads (implemented by the metrics)."""

    def on_judged(self, predictions: int, uncertain: int) -> None: ...

    def on_no_digit(self) -> None: ...


@dataclass
class ServiceState:
    settings: Settings
    repository: ModelRepository | None = None
    ready: bool = False
    observer: JudgementObserver | None = None

    def models(self) -> ModelRepository:
        """The repository, once start-up has loaded and warmed the default model."""
        if not self.ready or self.repository is None or not self.repository.ready():
            raise NotReady("the model is not loaded yet")
        return self.repository

    def model(self, name: str | None = None, version: int | None = None) -> LoadedModel:
        return self.models().get(name, version)

    async def classify(
        self,
        images: np.ndarray,
        name: str | None = None,
        version: int | None = None,
        *,
        protocol: str = "http",
        deadline_s: float | None = None,
    ) -> tuple[LoadedModel, np.ndarray, np.ndarray]:
        """``float32[N, 28, 28]`` -> (the version used, probabilities ``[N, 10]``, which of them are
        uncertain by the version's calibration, ``bool[N]``), via its batcher.

        The deadline is ``request_timeout_ms``, or the caller's own ``deadline_s`` if that is sooner;
        ``protocol`` (http, grpc) labels the request for the batch metrics."""
        budget_s = self.settings.request_timeout_ms / 1000
        if deadline_s is not None:
            budget_s = min(budget_s, deadline_s)
        model, probabilities = await self.models().classify(images, name, version, budget_s, protocol)
        uncertain = model.calibration.uncertain(probabilities)
        if self.observer is not None:
            self.observer.on_judged(len(uncertain), int(np.count_nonzero(uncertain)))
        return model, probabilities, uncertain

    @contextmanager
    def counting_refusals(self) -> Iterator[None]:
        """Count a ``NoDigit`` raised inside (an upload without a digit) before it goes on."""
        try:
            yield
        except NoDigit:
            if self.observer is not None:
                self.observer.on_no_digit()
            raise
