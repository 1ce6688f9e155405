"""eval/pipeline.py: refusals are recorded with their code, accepted images are classified in batches,
a broken preprocessing contract raises, and the newest committed model is found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval import pipeline
from eval.scoring import FAILED
from service.errors import CorruptImage, ServiceError


class NoInk(ServiceError):
    code = "no_digit"


def preprocess(data: bytes, max_pixels: int) -> np.ndarray:
    """A stand-in preprocessing: b"x" is a digit, b"blank" has no ink, anything else is damaged."""
    if data == b"blank":
        raise NoInk("no digit in the picture")
    if data != b"x":
        raise CorruptImage("damaged")
    return np.full((28, 28), 0.5, np.float32)


def always(digit: int) -> pipeline.Predict:
    def predict(pixels: np.ndarray) -> np.ndarray:
        assert pixels.shape[1:] == (28, 28) and len(pixels) > 0, "only accepted images reach the model"
        return np.tile(4 * np.eye(10, dtype=np.float32)[digit], (len(pixels), 1))

    return predict


def test_refusals_keep_their_code_and_only_accepted_images_are_classified() -> None:
    results = pipeline.run_offline([b"x", b"blank", b"junk", b"x"], preprocess, always(3), max_pixels=1)

    assert results.refusals == (None, "no_digit", "corrupt_image", None)
    assert results.digits.tolist() == [3, FAILED, FAILED, 3]
    assert results.refused.tolist() == [False, True, True, False]
    assert np.isnan(results.logits[1]).all() and not results.inputs[1].any(), "refused: NaN logits, no input"
    assert results.confidence[0] == pytest.approx(np.exp(4) / (np.exp(4) + 9))
    assert results.record(0) == {
        "digit": 3,
        "confidence": round(float(results.confidence[0]), 4),
        "refused": None,
    }
    assert results.record(1) == {"digit": None, "confidence": None, "refused": "no_digit"}


def test_a_broken_contract_raises() -> None:
    with pytest.raises(RuntimeError, match="contract"):
        pipeline.model_inputs([b"x"], lambda data, max_pixels: np.zeros((27, 28)), max_pixels=1)
    with pytest.raises(RuntimeError, match="contract"):
        pipeline.model_inputs([b"x"], lambda data, max_pixels: np.full((28, 28), np.nan), max_pixels=1)


def test_softmax_is_stable_and_sums_to_one() -> None:
    p = pipeline.softmax(np.array([[1000.0, 1000.0, *([0.0] * 8)]]))

    assert p.sum() == pytest.approx(1.0) and p[0, 0] == pytest.approx(0.5)


def test_load_function_needs_module_and_name() -> None:
    assert pipeline.load_function("eval.pipeline:softmax") is pipeline.softmax
    with pytest.raises(ValueError, match="module:function"):
        pipeline.load_function("eval.pipeline")


def test_latest_model_picks_the_highest_version_numerically(tmp_path: Path) -> None:
    for version in (2, 10, 9):
        folder = tmp_path / "models" / "mnist-lstm" / str(version)
        folder.mkdir(parents=True)
        (folder / "model.onnx").write_bytes(b"")

    assert pipeline.latest_model(tmp_path) == tmp_path / "models" / "mnist-lstm" / "10" / "model.onnx"
