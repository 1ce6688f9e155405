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
        top = probabilities.max(axis=1)
        if self.temperature == 1.0:
            return np.asarray(top)
        # softmax(logits / T) = p ** (1/T) / sum(p ** (1/T)), so its top is 1 / sum((p / p_top) ** (1/T)):
        # five array operations, cheap at one image per request (this runs once per request).
        ratios = np.divide(probabilities, np.maximum(top, 1e-30)[:, None])
        return np.asarray(1.0 / np.power(ratios, 1.0 / self.temperature).sum(axis=1))

    def uncertain(self, probabilities: np.ndarray) -> np.ndarray:
        """``bool[N]``: which predictions are below the threshold."""
        if len(probabilities) == 1:  # one image per request, the common case: floats beat array calls
            row = probabilities[0].tolist()
            top = max(row)
            if self.temperature != 1.0 and top > 0.0:
                power = 1.0 / self.temperature
                top = 1.0 / sum((p / top) ** power for p in row)
            return np.array([top < self.min_confidence])
        return self.confidence(probabilities) < self.min_confidence
