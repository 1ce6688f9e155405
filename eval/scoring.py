"""Accuracy of one pipeline's predictions: overall, per family and per digit, as numbers and as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.labels import Sample

FAILED = -1  # the prediction recorded when preprocessing refused an image


@dataclass(frozen=True)
class Accuracy:
    """Correct out of total, for one group of images."""

    correct: int
    total: int

    @property
    def rate(self) -> float:
        return self.correct / self.total if self.total else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return {"accuracy": round(self.rate, 4), "correct": self.correct, "total": self.total}


@dataclass(frozen=True)
class Scores:
    """One pipeline's accuracy overall, per family, per digit, and how many images it refused."""

    overall: Accuracy
    per_family: dict[str, Accuracy]
    per_digit: dict[int, Accuracy]
    refused: int

    def as_dict(self) -> dict[str, object]:
        return {
            **self.overall.as_dict(),
            "refused": self.refused,
            "per_family": {k: v.as_dict() for k, v in self.per_family.items()},
            "per_digit": {str(k): v.as_dict() for k, v in self.per_digit.items()},
        }


def score(samples: Sequence[Sample], predictions: np.ndarray) -> Scores:
    """Compare ``predictions`` (one digit per sample, ``FAILED`` for refusals) with the labels."""
    labels = np.array([s.label for s in samples])
    families = np.array([s.family for s in samples])
    right = predictions == labels

    def group(mask: np.ndarray) -> Accuracy:
        return Accuracy(int(right[mask].sum()), int(mask.sum()))

    order = list(dict.fromkeys(s.family for s in samples))
    return Scores(
        overall=group(np.ones(len(samples), dtype=bool)),
        per_family={f: group(families == f) for f in order},
        per_digit={d: group(labels == d) for d in range(10)},
        refused=int((predictions == FAILED).sum()),
    )


def table(scores: dict[str, Scores], by: str, title: str | None = None) -> str:
    """A plain-text table with one column per pipeline and one row per family (``by="family"``)
    or digit (``by="digit"``), then the overall row. ``title`` heads the first column (default ``by``:
    a real set's families are its styles)."""
    first = next(iter(scores.values()))
    keys = list(first.per_family) if by == "family" else [str(d) for d in first.per_digit]
    width = max(10, *(len(k) + 2 for k in keys))
    head = f"{title or by:<{width}}{'images':>8}" + "".join(f"{name:>10}" for name in scores)
    lines = [head, "-" * len(head)]
    for key in [*keys, "overall"]:
        cells = [_group(s, by, key) for s in scores.values()]
        lines.append(f"{key:<{width}}{cells[0].total:>8}" + "".join(f"{100 * c.rate:>9.1f}%" for c in cells))
    return "\n".join(lines)


def _group(scores: Scores, by: str, key: str) -> Accuracy:
    if key == "overall":
        return scores.overall
    return scores.per_family[key] if by == "family" else scores.per_digit[int(key)]
