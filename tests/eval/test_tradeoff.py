"""eval/tradeoff.py on a constructed case whose answers are worked out by hand: four non-digits (one
refused) and four real digits (one answered wrong), with known scores."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from eval import tradeoff
from eval.tradeoff import Flags

NONDIGITS = Flags(
    refused=np.array([True, False, False, False]),
    score=np.array([np.nan, 0.9, 0.5, 0.1]),
    correct=np.zeros(4, dtype=bool),
)
DIGITS = Flags(
    refused=np.zeros(4, dtype=bool),
    score=np.array([0.05, 0.2, 0.6, 0.01]),
    correct=np.array([True, True, False, True]),
)


@pytest.mark.parametrize(
    ("threshold", "nondigits", "digits", "accuracy"),
    [
        (np.inf, 0.25, 0.0, 0.75),  # only the refusal is flagged
        (0.5, 0.5, 0.25, 1.0),  # 0.9 flagged, 0.5 is not above 0.5; the wrong digit (0.6) goes
        (0.1, 0.75, 0.5, 1.0),
        (0.0, 1.0, 1.0, float("nan")),  # everything flagged, no digit left to be right
    ],
)
def test_each_point_counts_refusals_and_scores_above_the_threshold(
    threshold: float, nondigits: float, digits: float, accuracy: float
) -> None:
    point = tradeoff.point(NONDIGITS, DIGITS, threshold)

    assert (point.nondigits_flagged, point.digits_flagged) == (nondigits, digits)
    assert point.accuracy_unflagged == pytest.approx(accuracy, nan_ok=True)
    assert point.digits_unflagged == round(4 * (1 - digits))


def test_the_curve_runs_from_refusals_only_to_everything_flagged() -> None:
    points = tradeoff.curve(NONDIGITS, DIGITS)

    assert [p.threshold for p in points[:4]] == [np.inf, 0.9, 0.6, 0.5]
    assert (points[0].nondigits_flagged, points[0].digits_flagged) == (0.25, 0.0)
    assert (points[-1].nondigits_flagged, points[-1].digits_flagged) == (1.0, 1.0)
    for a, b in itertools.pairwise(points):
        assert b.nondigits_flagged >= a.nondigits_flagged and b.digits_flagged >= a.digits_flagged


def test_table_rows_are_the_best_points_within_each_share_of_digits() -> None:
    chosen = tradeoff.at_digit_shares(tradeoff.curve(NONDIGITS, DIGITS), [0.0, 0.25, 0.5])

    assert [p.threshold for p in chosen] == [np.inf, 0.6, 0.2, 0.05]
    assert [p.nondigits_flagged for p in chosen] == [0.25, 0.5, 0.75, 1.0]
    text = tradeoff.table([("refusals only", chosen[0]), ("0.6", chosen[1])])
    assert "refusals only" in text and "75.0% of 4" in text, text


def test_auroc_counts_pairs_and_puts_refusals_on_top() -> None:
    # Non-digits inf, .9, .5, .1 against digits .05, .2, .6, .01: 4 + 4 + 3 + 2 of 16 pairs are higher.
    assert tradeoff.auroc(NONDIGITS, DIGITS) == pytest.approx(13 / 16)
    assert tradeoff.auroc(DIGITS, DIGITS) == pytest.approx(0.5), "a set against itself is chance"


def test_a_flag_the_service_sets_itself_is_a_point_too() -> None:
    marked = np.array([False, False, True, False, True, True, False, False])  # digits, then non-digits

    point = tradeoff.point(NONDIGITS, DIGITS, np.inf, marked)

    assert (point.digits_flagged, point.nondigits_flagged, point.accuracy_unflagged) == (0.25, 0.5, 1.0)


def test_the_plot_is_written(tmp_path: Path) -> None:
    points = tradeoff.curve(NONDIGITS, DIGITS)
    path = tmp_path / "tradeoff.png"

    tradeoff.plot(points, [("refusals only", points[0])], path, "constructed")

    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
