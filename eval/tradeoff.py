"""The trade-off of flagging uncertain answers: for each threshold on an uncertainty score, the share
of non-digits flagged, the share of real digits flagged, and the accuracy on the real digits left.

An image is *flagged* when it was refused (it is never answered, whatever the threshold) or when its
score is above the threshold. Pure numpy; :func:`plot` draws the curve with matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

DIGIT_TARGETS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)  # shares of real digits flagged, for the table


@dataclass(frozen=True)
class Flags:
    """One set of images: refused or not, its score (ignored where refused), answered right or not."""

    refused: np.ndarray  # bool [N]
    score: np.ndarray  # float [N]
    correct: np.ndarray  # bool [N]; all False for non-digits


@dataclass(frozen=True)
class Point:
    """The outcome at one threshold (``inf``: only refusals are flagged)."""

    threshold: float
    nondigits_flagged: float
    digits_flagged: float
    accuracy_unflagged: float  # on the real digits that are not flagged; NaN when none are left
    digits_unflagged: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(self).items()
        }


def flagged(flags: Flags, threshold: float) -> np.ndarray:
    """Which images are flagged at ``threshold``."""
    return flags.refused | (~flags.refused & (np.nan_to_num(flags.score, nan=np.inf) > threshold))


def point(nondigits: Flags, digits: Flags, threshold: float, marked: np.ndarray | None = None) -> Point:
    """The outcome at one threshold; ``marked`` (flags on the digits then the non-digits) replaces
    the threshold, for a flag the service sets itself."""
    if marked is None:
        on_digits, on_nondigits = flagged(digits, threshold), flagged(nondigits, threshold)
    else:
        on_digits, on_nondigits = marked[: len(digits.score)], marked[len(digits.score) :]
    kept = ~on_digits
    accuracy = float(digits.correct[kept].mean()) if kept.any() else float("nan")
    return Point(threshold, _share(on_nondigits), _share(on_digits), accuracy, int(kept.sum()))


def curve(nondigits: Flags, digits: Flags) -> list[Point]:
    """The outcome at every distinct score (from flagging only refusals to flagging everything)."""
    scores = np.concatenate([nondigits.score[~nondigits.refused], digits.score[~digits.refused]])
    thresholds = [np.inf, *np.unique(scores[np.isfinite(scores)])[::-1].tolist()]
    lowest = min(thresholds[1:], default=0.0)
    return [point(nondigits, digits, t) for t in [*thresholds, np.nextafter(lowest, -np.inf)]]


def at_digit_shares(points: Sequence[Point], targets: Sequence[float] = DIGIT_TARGETS) -> list[Point]:
    """The first point (only refusals flagged), then for each target share of real digits flagged the
    curve's point that flags the most digits without going over it (and, among those, the most
    non-digits)."""
    chosen = [points[0]]
    for target in targets:
        fitting = [p for p in points if p.digits_flagged <= target + 1e-12]
        best = max(fitting, key=lambda p: (p.digits_flagged, p.nondigits_flagged), default=points[0])
        if best not in chosen:
            chosen.append(best)
    return chosen


def auroc(nondigits: Flags, digits: Flags) -> float:
    """The chance that a random non-digit gets a higher score than a random real digit (ties count
    half; a refusal scores above everything): 1 separates them perfectly, 0.5 is chance."""

    def ranked(flags: Flags) -> np.ndarray:
        return np.where(flags.refused, np.inf, np.nan_to_num(flags.score, nan=np.inf))

    a, b = ranked(nondigits), ranked(digits)
    if not len(a) or not len(b):
        return float("nan")
    greater = (a[:, None] > b[None, :]).mean()
    ties = (a[:, None] == b[None, :]).mean()
    return float(greater + 0.5 * ties)


def table(rows: Sequence[tuple[str, Point]]) -> str:
    """Named points as text: non-digits flagged, real digits flagged, accuracy on the digits left."""
    head = f"{'threshold':<14}{'non-digits flagged':>20}{'digits flagged':>16}{'accuracy unflagged':>20}"
    lines = [head, "-" * len(head)]
    for name, p in rows:
        accuracy = f"{100 * p.accuracy_unflagged:.1f}% of {p.digits_unflagged}"
        lines.append(
            f"{name:<14}{100 * p.nondigits_flagged:>19.1f}%{100 * p.digits_flagged:>15.1f}%{accuracy:>20}"
        )
    return "\n".join(lines)


def plot(points: Sequence[Point], marks: Sequence[tuple[str, Point]], path: Path, title: str) -> None:
    """Two panels against the share of real digits flagged: non-digits flagged, and accuracy left;
    the named ``marks`` as dots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [100 * p.digits_flagged for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.plot(x, [100 * p.nondigits_flagged for p in points], drawstyle="steps-post")
    right.plot(x, [100 * p.accuracy_unflagged for p in points], drawstyle="steps-post")
    for name, p in marks:
        left.plot(100 * p.digits_flagged, 100 * p.nondigits_flagged, "o")
        left.annotate(name, (100 * p.digits_flagged, 100 * p.nondigits_flagged), fontsize=8)
        right.plot(100 * p.digits_flagged, 100 * p.accuracy_unflagged, "o")
    left.set(xlabel="real digits flagged (%)", ylabel="non-digits flagged (%)", xlim=(0, 100), ylim=(0, 100))
    right.set(xlabel="real digits flagged (%)", ylabel="accuracy on unflagged real digits (%)", xlim=(0, 100))
    for axis in (left, right):
        axis.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else float("nan")
