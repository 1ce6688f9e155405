"""Export a RowLSTM to ONNX, check it, and evaluate ONNX models with onnxruntime."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from training.data import Split
from training.model import RowLSTM

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "pixels", "logits"
PARITY_BATCHES = (1, 7, 64)
PARITY_TOLERANCE = 1e-4


class ParityError(RuntimeError):
    """onnxruntime and PyTorch disagree on the same input."""


def export_onnx(model: RowLSTM, path: Path) -> None:
    """Write the model with fixed names, a dynamic batch axis and a fixed opset."""
    dummy = torch.zeros(1, 28, 28)
    with warnings.catch_warnings():  # the tracer's notes on LSTM shape checks are expected
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", UserWarning)
        _export(model, dummy, path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def _export(model: RowLSTM, dummy: torch.Tensor, path: Path) -> None:
    torch.onnx.export(
        model.eval(),
        (dummy,),
        str(path),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )


def session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def check_parity(model: RowLSTM, path: Path, images: np.ndarray) -> float:
    """Compare logits at batch 1, 7 and 64; raise :class:`ParityError` over tolerance."""
    sess, worst = session(path), 0.0
    for batch in PARITY_BATCHES:
        x = images[:batch].astype(np.float32) / 255.0
        (onnx_out,) = sess.run([OUTPUT_NAME], {INPUT_NAME: x})
        with torch.no_grad():
            torch_out = model(torch.from_numpy(x)).numpy()
        diff = float(np.abs(onnx_out - torch_out).max())
        worst = max(worst, diff)
        if diff >= PARITY_TOLERANCE:
            raise ParityError(f"batch {batch}: max |onnx - torch| = {diff:.2e} >= {PARITY_TOLERANCE}")
    return worst


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class: list[float]
    confusion: np.ndarray
    predictions: np.ndarray

    def summary(self) -> dict[str, object]:
        return {
            "test_accuracy": round(self.accuracy, 6),
            "test_per_class_accuracy": [round(a, 6) for a in self.per_class],
            "test_samples": int(self.confusion.sum()),
        }


def evaluate_onnx(path: Path, split: Split, batch_size: int = 1000) -> Evaluation:
    """Accuracy, per-class accuracy and confusion matrix of an ONNX model on a split."""
    sess = session(path)
    preds = []
    for start in range(0, len(split), batch_size):
        x = split.images[start : start + batch_size].astype(np.float32) / 255.0
        (logits,) = sess.run([OUTPUT_NAME], {INPUT_NAME: x})
        preds.append(logits.argmax(1))
    pred = np.concatenate(preds)
    labels = split.labels.astype(np.int64)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    per_class = (confusion.diagonal() / confusion.sum(1)).tolist()
    return Evaluation(float((pred == labels).mean()), per_class, confusion, pred)
