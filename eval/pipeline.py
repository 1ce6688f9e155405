"""Run image files through a model offline: a preprocessing function, then onnxruntime.

The per-image :class:`Results` it gives (the 28x28 inputs, the logits, the answer and any refusal)
are what the accuracy report (``eval/realworld.py``) and the non-digit report
(``eval/nondigit_score.py``) are built from; ``eval/service_client.py`` gives the same through a
running service.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.scoring import FAILED
from service.errors import ServiceError

Preprocess = Callable[..., np.ndarray]
Predict = Callable[[np.ndarray], np.ndarray]
REFUSALS = (ServiceError, OSError, ValueError)  # what a preprocessing may raise for a bad image
BATCH = 256


@dataclass(frozen=True)
class Results:
    """What a pipeline made of every image. Where an image was refused, its input is zeros, its
    logits NaN, its digit ``FAILED`` and its refusal the error code; elsewhere the refusal is None.
    ``uncertain`` is the service's own flag per image, when it gives one."""

    inputs: np.ndarray  # float32 [N, 28, 28]
    logits: np.ndarray  # float32 [N, 10]
    digits: np.ndarray  # int [N]
    confidence: np.ndarray  # float [N], the answer's probability
    refusals: tuple[str | None, ...]
    uncertain: tuple[bool | None, ...] | None = None

    @property
    def refused(self) -> np.ndarray:
        return np.array([code is not None for code in self.refusals], dtype=bool)

    def record(self, i: int) -> dict[str, object]:
        """Image ``i`` as JSON: digit (None if refused), confidence, refusal code, the service's flag."""
        refused = self.refusals[i] is not None
        out: dict[str, object] = {
            "digit": None if refused else int(self.digits[i]),
            "confidence": None if refused else round(float(self.confidence[i]), 4),
            "refused": self.refusals[i],
        }
        if self.uncertain is not None and self.uncertain[i] is not None:
            out["uncertain"] = self.uncertain[i]
        return out


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``[N, 10]`` logits, stable for large values."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def load_function(spec: str) -> Callable[..., np.ndarray]:
    """The function named by ``module:function``."""
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(f"expected module:function, got {spec!r}")
    function: Callable[..., np.ndarray] = getattr(importlib.import_module(module), name)
    return function


def latest_model(root: Path, name: str = "mnist-lstm") -> Path:
    """The newest ``models/<name>/<version>/model.onnx`` under ``root`` (the given path if none)."""
    versions = sorted((root / "models" / name).glob("[0-9]*/model.onnx"), key=lambda p: int(p.parent.name))
    return versions[-1] if versions else root / "models" / name / "1" / "model.onnx"


def onnx_predictor(model: Path, threads: int) -> Predict:
    """``float32[B, 28, 28] -> logits float32[B, 10]`` with onnxruntime on the CPU."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def predict(pixels: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(["logits"], {"pixels": pixels})[0])

    return predict


def model_inputs(
    blobs: Sequence[bytes], preprocess: Preprocess, max_pixels: int
) -> tuple[np.ndarray, tuple[str | None, ...]]:
    """Every image's 28x28 input (zeros where refused) and its refusal code (None where accepted).

    A refusal is a :class:`~service.errors.ServiceError` (its ``code``, e.g. ``no_digit``), or an
    ``OSError``/``ValueError`` from a preprocessing that is not the service's (its class name).
    """
    inputs = np.zeros((len(blobs), 28, 28), dtype=np.float32)
    refusals: list[str | None] = []
    for i, data in enumerate(blobs):
        try:
            array = np.asarray(preprocess(data, max_pixels=max_pixels), dtype=np.float32)
        except REFUSALS as exc:
            refusals.append(str(getattr(exc, "code", type(exc).__name__)))
            continue
        if array.shape != (28, 28) or not np.isfinite(array).all():
            raise RuntimeError(f"preprocessing broke its contract: shape {array.shape} (want 28x28, finite)")
        inputs[i] = array
        refusals.append(None)
    return inputs, tuple(refusals)


def run_offline(blobs: Sequence[bytes], preprocess: Preprocess, predict: Predict, max_pixels: int) -> Results:
    """Preprocess every image and classify the accepted ones in batches."""
    inputs, refusals = model_inputs(blobs, preprocess, max_pixels)
    logits = np.full((len(blobs), 10), np.nan, dtype=np.float32)
    accepted = np.flatnonzero([code is None for code in refusals])
    for start in range(0, len(accepted), BATCH):
        rows = accepted[start : start + BATCH]
        logits[rows] = predict(inputs[rows])
    return from_logits(inputs, logits, refusals)


def from_logits(
    inputs: np.ndarray,
    logits: np.ndarray,
    refusals: tuple[str | None, ...],
    uncertain: tuple[bool | None, ...] | None = None,
) -> Results:
    """Results whose answer and confidence are the logits' argmax and its softmax probability."""
    refused = np.array([code is not None for code in refusals], dtype=bool)
    safe = np.where(refused[:, None], 0.0, logits)
    probabilities = softmax(safe)
    digits = np.where(refused, FAILED, probabilities.argmax(axis=1))
    confidence = np.where(refused, np.nan, probabilities.max(axis=1))
    return Results(inputs, logits, digits, confidence, refusals, uncertain)
