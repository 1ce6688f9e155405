"""Calibrate when a model version's answers are "uncertain", and write it into its sidecar.

    python eval/synth.py --out /tmp/heldout --per-family 125 --seed 11 --mnist-dir ../shared/data/mnist
    python eval/calibrate.py --model-dir models/mnist-lstm/3 --digits /tmp/heldout --write

Two numbers, both from held-out data (never the real development set, which measures the result):

- the **temperature** ``T`` that fits the MNIST validation split best (the 5,000 training images
  held out for model selection; minimum negative log-likelihood of ``softmax(logits / T)``);
- the **threshold** ``min_confidence``: the confidence below which ``--flag-rate`` (2%) of held-out
  generated real-looking digits (eval/synth.py, a seed no test or figure uses) fall, after the
  service's preprocessing. 2% is the share of real digits the product may flag: the real development
  set then measures whether that budget, spent on generated digits, carries over to real ones.

``--write`` stores them in ``model.json`` as the ``calibration`` block that
service/inference/calibration.py reads, with how they were made. Without it, the figures are only
printed. ``--report DIR`` (repeatable) prints the share of another labelled folder that would be
flagged, and the accuracy on the rest.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.labels import read_labels
from eval.pipeline import Predict, load_function, onnx_predictor, run_offline, softmax
from service.inference.calibration import Calibration
from training.data import load_mnist, resolve_data_dir

DEFAULT_PREPROCESS = "service.images.preprocess:preprocess_image"
MAX_PIXELS = 40_000_000


def scaled_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    return softmax(logits / temperature)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.25, 4] that minimises the negative log-likelihood (golden-section search on log T)."""

    def nll(log_t: float) -> float:
        p = scaled_softmax(logits, float(np.exp(log_t)))
        return float(-np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-12)).mean())

    low, high = np.log(0.25), np.log(4.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(a) < nll(b):
            high = b
        else:
            low = a
    return round(float(np.exp((low + high) / 2)), 4)


def threshold_for(confidence: np.ndarray, flag_rate: float) -> float:
    """The confidence below which ``flag_rate`` of ``confidence`` lies."""
    return round(float(np.quantile(confidence, flag_rate)), 4)


def folder_confidence(
    folder: Path, predict: Predict, preprocess: str, temperature: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confidence (as the service computes it, :meth:`Calibration.confidence`), right-or-wrong and
    refused, per image of a labelled folder."""
    samples = read_labels(folder)
    blobs = [(folder / s.file).read_bytes() for s in samples]
    results = run_offline(blobs, load_function(preprocess), predict, MAX_PIXELS)
    refused = results.refused
    logits = np.where(refused[:, None], 0.0, results.logits)
    confidence = Calibration(temperature).confidence(softmax(logits))
    right = results.digits == np.array([s.label for s in samples])
    return confidence, right, refused


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model-dir", type=Path, required=True, help="a version directory (model.onnx, model.json)"
    )
    p.add_argument("--digits", type=Path, required=True, help="held-out labelled digits (eval/synth.py)")
    p.add_argument("--flag-rate", type=float, default=0.02, help="share of held-out digits to flag (0.02)")
    p.add_argument("--mnist-dir", default=None, help="MNIST directory (default: $MNIST_DIR or data/mnist)")
    p.add_argument("--preprocess", default=DEFAULT_PREPROCESS, help="module:function (%(default)s)")
    p.add_argument("--report", type=Path, action="append", default=[], help="a labelled folder to report on")
    p.add_argument("--write", action="store_true", help="store the calibration in the sidecar")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    predict = onnx_predictor(args.model_dir / "model.onnx", threads=1)
    val = load_mnist(resolve_data_dir(args.mnist_dir), download=False).val
    temperature = fit_temperature(predict(val.images.astype(np.float32) / 255.0), val.labels.astype(int))
    confidence, _, refused = folder_confidence(args.digits, predict, args.preprocess, temperature)
    min_confidence = threshold_for(confidence[~refused], args.flag_rate)
    print(f"{args.model_dir}: temperature {temperature}, min_confidence {min_confidence}")
    for folder in args.report:
        conf, right, refused = folder_confidence(folder, predict, args.preprocess, temperature)
        kept = (conf >= min_confidence) & ~refused
        print(
            f"  {folder}: {len(conf)} images, flagged {np.mean(~kept & ~refused):.1%}, refused "
            f"{refused.mean():.1%}, accuracy of the rest {right[kept].mean():.2%} ({kept.sum()})"
        )
    if args.write:
        path = args.model_dir / "model.json"
        sidecar = json.loads(path.read_text())
        sidecar["calibration"] = {
            "temperature": temperature,
            "min_confidence": min_confidence,
            "flag_rate": args.flag_rate,
            "temperature_from": "MNIST validation split (5,000 training images held out)",
            "threshold_from": f"{int((~refused).sum())} generated digits in {args.digits.name}",
            "command": shlex.join(["python", "eval/calibrate.py", *(sys.argv[1:] if argv is None else argv)]),
        }
        path.write_text(json.dumps(sidecar, indent=2) + "\n")
        print(f"wrote the calibration into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
