"""Score number reading on a folder made by ``eval/number_set.py``: whole numbers and digits, per spacing.

    python eval/number_score.py --images /tmp/numbers --json /tmp/numbers.json --errors-png /tmp/misses.png
    python eval/number_score.py --images /tmp/numbers --url http://127.0.0.1:8000

Offline, each file's bytes go through the service's own segmentation
(``service.images.segment.read_number_bytes``) and the newest ``models/mnist-lstm`` with onnxruntime,
all digits of a number in one batch; with ``--url`` each file goes to the running service's
``POST /read`` instead. A number is right when its text is exactly the label's. Digit accuracy is
``1 - edit distance / digits`` summed over the numbers, so a digit read twice, missed or wrong counts
once. A refused image (``no_digit``, ``too_many_digits``) reads as no digits at all.

A folder of single digits with a ``labels.csv`` (``eval/realworld.py``'s formats, such as
realworld-dev) is read the same way: each label is a one-digit number of spacing ``single``, and the
``wrong length`` column counts the digits that were split (or refused).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.labels import LABELS_FILE, read_labels
from eval.number_reading import Reading, read_offline, read_via_service
from eval.number_set import LABELS_FILE as NUMBERS_FILE
from eval.number_set import NumberSample, read_numbers
from eval.number_sheet import misses_sheet
from eval.pipeline import latest_model

ROOT = Path(__file__).resolve().parents[1]


def load_samples(folder: Path) -> list[NumberSample]:
    """The numbers of a folder made by ``eval/number_set.py``, or a folder of single labelled digits."""
    if (folder / NUMBERS_FILE).is_file() or not (folder / LABELS_FILE).is_file():
        return read_numbers(folder)
    return [NumberSample(s.file, str(s.label), "single", s.family, s.params) for s in read_labels(folder)]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of single digits."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def scores(
    samples: Sequence[NumberSample], readings: Sequence[Reading], key: str
) -> dict[str, dict[str, float]]:
    """Per value of ``key`` (``spacing`` or ``source``) and overall: numbers, whole-number accuracy,
    digit accuracy, and how many were read with the wrong number of digits."""
    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(getattr(sample, key), []).append(i)
    groups["overall"] = list(range(len(samples)))
    out = {}
    for name, rows in groups.items():
        texts = [(samples[i].text, readings[i].text) for i in rows]
        digits = sum(len(label) for label, _ in texts)
        errors = sum(min(edit_distance(label, read), len(label)) for label, read in texts)
        out[name] = {
            "numbers": len(rows),
            "number_accuracy": round(sum(label == read for label, read in texts) / len(rows), 4),
            "digit_accuracy": round(1 - errors / digits, 4),
            "wrong_length": sum(len(label) != len(read) for label, read in texts),
        }
    return out


def table(by_key: dict[str, dict[str, float]], title: str) -> str:
    width = max(14, *(len(name) + 2 for name in by_key))
    head = f"{title:<{width}}{'numbers':>8}{'whole number':>14}{'digits':>9}{'wrong length':>14}"
    lines = [head, "-" * len(head)]
    for name, s in by_key.items():
        lines.append(
            f"{name:<{width}}{s['numbers']:>8}{100 * s['number_accuracy']:>13.1f}%"
            f"{100 * s['digit_accuracy']:>8.1f}%{s['wrong_length']:>14}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--images", type=Path, required=True, help="folder with images and numbers.csv (or labels.csv)"
    )
    p.add_argument("--model", type=Path, default=latest_model(ROOT), help="ONNX model (default: %(default)s)")
    p.add_argument("--url", default=None, help="read through a running service's POST /read instead")
    p.add_argument("--workers", type=int, default=4, help="parallel requests with --url (default: 4)")
    p.add_argument("--json", type=Path, default=None, help="write the scores and every reading here")
    p.add_argument("--errors-png", type=Path, default=None, help="write a contact sheet of the misses here")
    p.add_argument(
        "--errors-limit", type=int, default=60, help="most misses on the sheet (default: %(default)s)"
    )
    p.add_argument("--max-pixels", type=int, default=40_000_000, help="passed to the segmentation")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples = load_samples(args.images)
    blobs = [(args.images / s.file).read_bytes() for s in samples]
    if args.url:
        readings = read_via_service(
            args.url, [(Path(s.file).name, b) for s, b in zip(samples, blobs, strict=True)], args.workers
        )
    else:
        readings = read_offline(blobs, args.model, args.max_pixels)
    via = f"POST {args.url}/read" if args.url else f"service.images.segment + {args.model}"
    by_spacing, by_source = scores(samples, readings, "spacing"), scores(samples, readings, "source")
    print(f"{len(samples)} numbers from {args.images}; read by {via}\n")
    print(table(by_spacing, "spacing") + "\n\n" + table(by_source, "source"))
    wrong = [i for i, (s, r) in enumerate(zip(samples, readings, strict=True)) if s.text != r.text]
    if args.json:
        report = {
            "images": str(args.images),
            "via": via,
            "by_spacing": by_spacing,
            "by_source": by_source,
            "per_image": [
                {"file": s.file, "text": s.text, "spacing": s.spacing, "source": s.source, **r.record()}
                for s, r in zip(samples, readings, strict=True)
            ],
        }
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if args.errors_png:
        chosen = np.asarray(wrong[: args.errors_limit], dtype=int)
        misses_sheet(
            [samples[i] for i in chosen], [blobs[i] for i in chosen], [readings[i] for i in chosen]
        ).save(args.errors_png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
