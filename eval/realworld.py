"""Score a digit model on a folder of labelled images, with the service's preprocessing and with a
naive baseline, overall, per family (or style) and per digit.

    python eval/realworld.py --images ../shared/eval/realworld-dev \\
        --json /tmp/dev.json --errors-png /tmp/dev-errors.png
    python eval/realworld.py --images ../shared/eval/realworld-dev --url http://127.0.0.1:8000

The folder holds images and a ``labels.csv``: generated (``eval/synth.py``: file, label, family,
params) or collected (path, label, source, style); the header says which. Files are read by content,
whatever their extension. Offline, each file's bytes go through ``--preprocess`` (default
``service.images.preprocess:preprocess_image``, called as ``f(data, max_pixels=...)``, returning
float32 [28, 28] in [0, 1]) and onnxruntime; with ``--url`` they go through the running service's
``POST /predict`` instead. The naive column is :func:`eval.baseline.naive_preprocess` with ``--model``.
An image that is refused (a domain error offline, a 4xx such as ``no_digit`` from the service) counts
as wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval import service_client
from eval.baseline import naive_preprocess
from eval.error_grid import Miss, error_grid, pick
from eval.labels import Sample, grouping, read_labels
from eval.pipeline import (
    Predict,
    Preprocess,
    Results,
    latest_model,
    load_function,
    onnx_predictor,
    run_offline,
)
from eval.scoring import Scores, score, table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PREPROCESS = "service.images.preprocess:preprocess_image"


@dataclass(frozen=True)
class Outcome:
    """What one pipeline did with every image, and its scores."""

    results: Results
    scores: Scores

    @property
    def predictions(self) -> np.ndarray:
        return self.results.digits


def run_pipeline(
    samples: Sequence[Sample],
    blobs: Sequence[bytes],
    preprocess: Preprocess,
    predict: Predict,
    max_pixels: int,
) -> Outcome:
    """Preprocess every image, classify it, and score against the labels."""
    results = run_offline(blobs, preprocess, predict, max_pixels)
    return Outcome(results, score(samples, results.digits))


def misses(samples: Sequence[Sample], blobs: Sequence[bytes], outcome: Outcome) -> list[Miss]:
    """The misclassified (or refused) images of one pipeline, in folder order."""
    wrong = np.flatnonzero(outcome.predictions != np.array([s.label for s in samples]))
    return [
        Miss(samples[i], blobs[i], outcome.results.inputs[i], int(outcome.predictions[i]))
        for i in wrong.tolist()
    ]


def refusals(results: Results) -> str:
    """How many images were refused, and with which codes: ``3 (no_digit 2, corrupt_image 1)``."""
    codes = Counter(code for code in results.refusals if code is not None)
    detail = ", ".join(f"{code} {n}" for code, n in codes.most_common())
    return f"{sum(codes.values())}" + (f" ({detail})" if detail else "")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=Path, required=True, help="folder with images and labels.csv")
    p.add_argument("--model", type=Path, default=latest_model(ROOT), help="ONNX model (default: %(default)s)")
    p.add_argument("--url", default=None, help="score a running service at this base URL instead")
    p.add_argument("--workers", type=int, default=4, help="parallel requests with --url (default: 4)")
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
    args: argparse.Namespace,
    samples: Sequence[Sample],
    outcomes: dict[str, Outcome],
    service_misses: list[Miss],
) -> dict[str, object]:
    """The JSON report: what was scored, every pipeline's scores, what the service pipeline said about
    each image, and its misses."""
    group = grouping(args.images)
    service = outcomes["service"].results
    return {
        "images": str(args.images),
        "model": str(args.model),
        "service": args.url or args.preprocess,
        "grouping": group,
        "count": len(samples),
        "pipelines": {name: outcome.scores.as_dict() for name, outcome in outcomes.items()},
        "per_image": [
            {"file": s.file, group: s.family, "label": s.label, **service.record(i)}
            for i, s in enumerate(samples)
        ],
        "service_misses": [
            {"file": m.sample.file, group: m.sample.family, "label": m.sample.label, "predicted": m.predicted}
            for m in service_misses
        ],
    }


def outcomes_of(
    args: argparse.Namespace, samples: Sequence[Sample], blobs: Sequence[bytes]
) -> dict[str, Outcome]:
    """The service pipeline (offline, or the live service with ``--url``) and the naive baseline."""
    if args.url is None and not args.model.is_file():
        raise SystemExit(f"error: no model at {args.model}; pass --model PATH to an ONNX file")
    predict = onnx_predictor(args.model, args.threads) if args.model.is_file() else None
    if args.url:
        names = [(Path(s.file).name, data) for s, data in zip(samples, blobs, strict=True)]
        live = service_client.classify(args.url, names, args.workers)
        service = Outcome(live, score(samples, live.digits))
    else:
        assert predict is not None
        service = run_pipeline(samples, blobs, load_function(args.preprocess), predict, args.max_pixels)
    if predict is None:
        print(f"naive baseline skipped: no model at {args.model}")
        return {"service": service}
    return {
        "service": service,
        "naive": run_pipeline(samples, blobs, naive_preprocess, predict, args.max_pixels),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples = read_labels(args.images)
    blobs = [(args.images / s.file).read_bytes() for s in samples]
    outcomes = outcomes_of(args, samples, blobs)
    scores = {name: outcome.scores for name, outcome in outcomes.items()}
    via = f"POST {args.url}/predict" if args.url else f"{args.preprocess} + {args.model}"
    print(f"{len(samples)} images from {args.images}; service = {via}\n")
    print(table(scores, "family", grouping(args.images)) + "\n\n" + table(scores, "digit"))
    print("\nrefused: " + ", ".join(f"{name} {refusals(o.results)}" for name, o in outcomes.items()))
    service_misses = misses(samples, blobs, outcomes["service"])
    if args.json:
        args.json.write_text(json.dumps(summary(args, samples, outcomes, service_misses), indent=2) + "\n")
    if args.errors_png:
        error_grid(pick(service_misses, args.errors_limit)).save(args.errors_png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
