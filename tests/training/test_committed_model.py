"""The committed models: intact, loadable, and as accurate as their sidecars say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.data import load_test_set
from training.onnx_io import evaluate_onnx
from training.sidecar import sha256_of

MODELS = Path(__file__).resolve().parents[2] / "models"
COMMITTED = sorted(p.parent for p in MODELS.glob("*/*/model.onnx"))


def test_the_default_model_is_committed() -> None:
    assert any(p.parent.name == "mnist-lstm" for p in COMMITTED)
    assert any(p.parent.name == "mnist-lstm-int8" for p in COMMITTED)
    for version_dir in COMMITTED:
        assert (version_dir / "model.onnx").stat().st_size < 1024 * 1024, "well under 1 MB"


@pytest.mark.parametrize("version_dir", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sidecar_matches_and_accuracy_reproduces(version_dir: Path, mnist_dir: Path) -> None:
    sidecar = json.loads((version_dir / "model.json").read_text())
    assert sidecar["sha256"] == sha256_of(version_dir / "model.onnx")
    assert (sidecar["name"], sidecar["version"]) == (version_dir.parent.name, int(version_dir.name))
    result = evaluate_onnx(version_dir / "model.onnx", load_test_set(mnist_dir, download=False))
    assert result.accuracy == pytest.approx(sidecar["metrics"]["test_accuracy"], abs=1e-4)
    assert result.per_class == pytest.approx(sidecar["metrics"]["test_per_class_accuracy"], abs=1e-4)
    assert set(sidecar["training"]["dataset_sha256"]) == {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    }  # fmt: skip
