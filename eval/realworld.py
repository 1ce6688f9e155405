"""Score an ONNX digit model on a folder of real-looking images, with the service's preprocessing
and with a naive baseline, overall, per family and per digit.

    python eval/realworld.py --images /tmp/realworld --model models/mnist-lstm/1/model.onnx \\
        --json /tmp/realworld.json --errors-png /tmp/realworld-errors.png

The folder holds images and a ``labels.csv`` as written by ``eval/synth.py``. Each file's bytes go
through ``--preprocess`` (default ``service.images.preprocess:preprocess_image``, called as
``f(data, max_pixels=...)`` and expected to return float32 [28, 28] in [0, 1]) and through
:func:`eval.baseline.naive_preprocess`, then through onnxruntime (input "pixels", output "logits").
An image the preprocessing refuses with a domain error counts as wrong.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.baseline import naive_preprocess
from eval.error_grid import Miss, error_grid, pick
from eval.labels import Sample, read_labels
from eval.scoring import FAILED, Scores, score, table
from service.errors import ServiceError

DEFAULT_MODEL = Path("models/mnist-lstm/1/model.onnx")
DEFAULT_PREPROCESS = "service.images.preprocess:preprocess_image"
Preprocess = Callable[..., np.ndarray]
Predict = Callable[[np.ndarray], np.ndarray]
REFUSALS = (ServiceError, OSError, ValueError)  # what a preprocessing may raise for a bad image


@dataclass(frozen=True)
class Outcome:
    """What one pipeline did with every image: the 28x28 inputs, the predicted digits and its scores."""

    inputs: np.ndarray
    predictions: np.ndarray
    scores: Scores


def load_preprocess(spec: str) -> Preprocess:
    """The function named by ``module:function``."""
    module, _, name = spec.partition(":")
    function: Preprocess = getattr(importlib.import_module(module), name)
    return function


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
) -> tuple[np.ndarray, np.ndarray]:
    """Every image's 28x28 input (zeros where refused) and a mask of the refused ones."""
    inputs = np.zeros((len(blobs), 28, 28), dtype=np.float32)
    refused = np.zeros(len(blobs), dtype=bool)
    for i, data in enumerate(blobs):
        try:
            array = np.asarray(preprocess(data, max_pixels=max_pixels), dtype=np.float32)
        except REFUSALS:
            refused[i] = True
            continue
        if array.shape != (28, 28) or not np.isfinite(array).all():
            raise RuntimeError(f"preprocessing broke its contract: shape {array.shape} (want 28x28, finite)")
        inputs[i] = array
    return inputs, refused


def run_pipeline(
    samples: Sequence[Sample],
    blobs: Sequence[bytes],
    preprocess: Preprocess,
    predict: Predict,
    max_pixels: int,
) -> Outcome:
    """Preprocess every image, classify in batches of 256, and score against the labels."""
    inputs, refused = model_inputs(blobs, preprocess, max_pixels)
    logits = np.concatenate([predict(inputs[i : i + 256]) for i in range(0, len(inputs), 256)])
    predictions = np.where(refused, FAILED, logits.argmax(axis=1))
    return Outcome(inputs, predictions, score(samples, predictions))


def misses(samples: Sequence[Sample], blobs: Sequence[bytes], outcome: Outcome) -> list[Miss]:
    """The misclassified (or refused) images of one pipeline, in folder order."""
    wrong = np.flatnonzero(outcome.predictions != np.array([s.label for s in samples]))
    return [
        Miss(samples[i], blobs[i], outcome.inputs[i], int(outcome.predictions[i])) for i in wrong.tolist()
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=Path, required=True, help="folder with images and labels.csv")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="ONNX model (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, help="write the summary here as JSON")
    p.add_argument("--errors-png", type=Path, default=None, help="write a sheet of misclassified images here")
    p.add_argument(
        "--errors-limit", type=int, default=60, help="most misses on the sheet (default: %(default)s)"
    )
    p.add_argument("--preprocess", default=DEFAULT_PREPROCESS, help="module:function (default: %(default)s)")
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="passed to the preprocessing")
    p.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (default: 1)")
    return p.parse_args(argv)


def summary(
    args: argparse.Namespace, outcomes: dict[str, Outcome], service_misses: list[Miss]
) -> dict[str, object]:
    """The JSON report: what was scored, every pipeline's scores, and the service pipeline's misses."""
    count = len(next(iter(outcomes.values())).predictions)
    return {
        "images": str(args.images),
        "model": str(args.model),
        "preprocess": args.preprocess,
        "count": count,
        "pipelines": {name: outcome.scores.as_dict() for name, outcome in outcomes.items()},
        "service_misses": [
            {
                "file": m.sample.file,
                "family": m.sample.family,
                "label": m.sample.label,
                "predicted": m.predicted,
            }
            for m in service_misses
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.model.is_file():
        raise SystemExit(f"error: no model at {args.model}; pass --model PATH to an ONNX file")
    samples = read_labels(args.images)
    blobs = [(args.images / s.file).read_bytes() for s in samples]
    predict = onnx_predictor(args.model, args.threads)
    pipelines = {"service": load_preprocess(args.preprocess), "naive": naive_preprocess}
    outcomes = {
        name: run_pipeline(samples, blobs, f, predict, args.max_pixels) for name, f in pipelines.items()
    }
    scores = {name: outcome.scores for name, outcome in outcomes.items()}
    print(f"{len(samples)} images from {args.images}, model {args.model}\n")
    print(table(scores, "family") + "\n\n" + table(scores, "digit"))
    print("\nrefused: " + ", ".join(f"{name} {s.refused}" for name, s in scores.items()))
    service_misses = misses(samples, blobs, outcomes["service"])
    if args.json:
        args.json.write_text(json.dumps(summary(args, outcomes, service_misses), indent=2) + "\n")
    if args.errors_png:
        error_grid(pick(service_misses, args.errors_limit)).save(args.errors_png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
