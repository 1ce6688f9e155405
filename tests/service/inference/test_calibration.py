"""service.inference.calibration: the uncertain flag from a temperature and a confidence threshold."""

from __future__ import annotations

import numpy as np
import pytest

from service.inference.calibration import DEFAULT_MIN_CONFIDENCE, Calibration


def softmax(logits: np.ndarray) -> np.ndarray:
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


LOGITS = np.array([[4.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0], [1.0, 0.8, 0.0, 0, 0, 0, 0, 0, 0, 0]])


def test_without_a_block_the_defaults_apply() -> None:
    calibration = Calibration.from_sidecar(None)
    assert calibration == Calibration(1.0, DEFAULT_MIN_CONFIDENCE)
    np.testing.assert_allclose(calibration.confidence(softmax(LOGITS)), softmax(LOGITS).max(axis=1))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 3.7])
def test_confidence_is_the_softmax_of_the_scaled_logits(temperature: float) -> None:
    calibration = Calibration(temperature, 0.5)
    expected = softmax(LOGITS / temperature).max(axis=1)
    np.testing.assert_allclose(calibration.confidence(softmax(LOGITS)), expected, rtol=1e-6)


def test_uncertain_below_the_threshold_only() -> None:
    probabilities = softmax(LOGITS)  # confidences 0.86 and 0.25
    assert Calibration(1.0, 0.5).uncertain(probabilities).tolist() == [False, True]
    assert Calibration(1.0, 0.9).uncertain(probabilities).tolist() == [True, True]
    assert Calibration(3.0, 0.5).uncertain(probabilities).tolist() == [True, True], "a higher T softens"


@pytest.mark.parametrize("temperature", [0.5, 0.62, 1.0, 2.0])
def test_one_image_is_judged_as_in_a_batch(temperature: float) -> None:
    """The one-row path (plain floats) and the array path agree on every threshold."""
    rng = np.random.default_rng(4)
    probabilities = softmax(rng.normal(0, 3, (400, 10))).astype(np.float32)
    for threshold in (0.3, 0.55, 0.9):
        calibration = Calibration(temperature, threshold)
        batch = calibration.uncertain(probabilities)
        one_by_one = np.concatenate([calibration.uncertain(row[None]) for row in probabilities])
        assert one_by_one.dtype == bool and one_by_one.tolist() == batch.tolist()


def test_from_a_sidecar_block() -> None:
    block = {"temperature": 1.5, "min_confidence": 0.8, "calibrated_on": "anything else is kept"}
    assert Calibration.from_sidecar(block) == Calibration(1.5, 0.8)
