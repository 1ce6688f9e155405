"""When is a prediction "uncertain"? A calibrated threshold on the model's confidence.

A model's confidence is its top class's probability after temperature scaling,
``softmax(logits / T)``. A prediction whose confidence is below ``min_confidence`` is uncertain:
the upload is probably not a digit (a letter, a shape, several digits) or a digit the model cannot
read. Both numbers belong to one model version, so they live in its sidecar's ``calibration`` block,
written by ``python -m eval.calibrate`` from held-out data (the temperature that fits the MNIST
validation split best, the threshold that flags a chosen share of held-out real-looking digits);
the block also records how it was made. A version without one uses ``T = 1`` and
``DEFAULT_MIN_CONFIDENCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_MIN_CONFIDENCE = 0.7


@dataclass(frozen=True)
class Calibration:
    """The temperature and the confidence threshold of one model version."""

    temperature: float = 1.0
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @classmethod
    def from_sidecar(cls, block: dict[str, Any] | None) -> Calibration:
        """From a sidecar's ``calibration`` block (already validated), or the defaults."""
        if not block:
            return cls()
        return cls(float(block["temperature"]), float(block["min_confidence"]))

    def confidence(self, probabilities: np.ndarray) -> np.ndarray:
        """The top class's probability after temperature scaling, for each row of ``[N, 10]``."""
        if self.temperature == 1.0:
            return np.asarray(probabilities.max(axis=1))
        # log p = logits - logsumexp(logits), so softmax(log p / T) = softmax(logits / T).
        scaled = np.log(np.maximum(probabilities, 1e-30)) / self.temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        weights = np.exp(scaled)
        return np.asarray(weights.max(axis=1) / weights.sum(axis=1))

    def uncertain(self, probabilities: np.ndarray) -> np.ndarray:
        """``bool[N]``: which predictions are below the threshold."""
        return self.confidence(probabilities) < self.min_confidence
