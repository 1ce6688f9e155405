"""eval/calibrate.py: the temperature that fits, the threshold that flags the asked share."""

from __future__ import annotations

import numpy as np
import pytest

from eval.calibrate import fit_temperature, scaled_softmax, threshold_for


def test_fit_temperature_recovers_the_temperature_that_made_the_labels() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 3, (4000, 10))
    labels = np.array([rng.choice(10, p=p) for p in scaled_softmax(true_logits, 1.0)])
    # a model as under-confident as label smoothing makes it: its logits are the truth divided by 2
    assert fit_temperature(true_logits / 2, labels) == pytest.approx(0.5, rel=0.1)
    assert fit_temperature(true_logits, labels) == pytest.approx(1.0, rel=0.1)


def test_threshold_flags_the_asked_share() -> None:
    confidence = np.linspace(0.5, 1.0, 1001)
    threshold = threshold_for(confidence, 0.01)
    assert np.mean(confidence < threshold) == pytest.approx(0.01, abs=0.002)


def test_scaled_softmax_sums_to_one_and_sharpens_below_one() -> None:
    logits = np.array([[2.0, 1.0, 0.0]])
    soft, sharp = scaled_softmax(logits, 2.0), scaled_softmax(logits, 0.5)
    assert soft.sum() == pytest.approx(1.0) and sharp.sum() == pytest.approx(1.0)
    assert sharp.max() > scaled_softmax(logits, 1.0).max() > soft.max()
