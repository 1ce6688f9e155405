"""eval/nondigit_score.py end to end with the committed model: blank pictures are refused as no_digit,
the report and the curve are written, and the score function and temperature are pluggable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval import nondigit_score, nondigits
from eval.family_font import DEFAULT_FONT_DIR
from eval.labels import read_labels, write_labels
from eval.pipeline import from_logits

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "realworld"


def constant(logits: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """A plugged-in score that never flags anything."""
    return np.zeros(len(logits))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("score")
    kinds = nondigits.makers(("letter", "blank", "noise"), DEFAULT_FONT_DIR, mnist_dir)
    nondigits.generate(root / "nondigits", per_kind=4, seed=1, kinds=kinds, max_side=200)
    rows = [r for r in read_labels(SAMPLE) if int(r.file[-9:-4]) < 3]  # 12 real-looking digits
    (root / "digits").mkdir()
    for row in rows:
        shutil.copy(SAMPLE / row.file, root / "digits" / row.file)
    write_labels(root / "digits", rows)
    return root / "nondigits", root / "digits"


def test_report_refuses_blanks_and_draws_the_curve(folders: tuple[Path, Path], tmp_path: Path) -> None:
    report, png = tmp_path / "report.json", tmp_path / "curve.png"
    args = [
        "--nondigits",
        str(folders[0]),
        "--digits",
        str(folders[1]),
        "--json",
        str(report),
        "--png",
        str(png),
    ]

    assert nondigit_score.main(args) == 0

    summary = json.loads(report.read_text())
    assert summary["per_kind"]["blank"]["no_digit"] == 1.0, "a blank picture must be refused as no_digit"
    assert summary["per_kind"]["all"]["images"] == 12
    first = summary["table"][0]
    assert first["row"] == "refusals only" and first["threshold"] is None, "inf is written as null"
    assert first["nondigits_flagged"] >= 4 / 12
    shares = [row["digits_flagged"] for row in summary["table"]]
    assert shares == sorted(shares), "rows go from fewer to more real digits flagged"
    assert 0.5 < summary["auroc"] <= 1.0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_plugged_score_and_chosen_thresholds_are_used(folders: tuple[Path, Path], tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    score = "tests.eval.test_nondigit_score:constant"
    args = ["--nondigits", str(folders[0]), "--digits", str(folders[1]), "--score", score]

    assert nondigit_score.main([*args, "--thresholds", "0.5,-1", "--json", str(report)]) == 0

    summary = json.loads(report.read_text())
    refused = summary["per_kind"]["all"]["no_digit"]
    above, below = summary["table"]
    assert summary["score"] == score and (above["threshold"], below["threshold"]) == (0.5, -1.0)
    assert (above["nondigits_flagged"], above["digits_flagged"]) == (pytest.approx(refused), 0.0), (
        "a score of 0 everywhere flags only the refusals at 0.5"
    )
    assert (below["nondigits_flagged"], below["digits_flagged"], below["accuracy_unflagged"]) == (
        1.0,
        1.0,
        None,
    )


def test_temperature_divides_the_logits() -> None:
    logits = np.array([[4.0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0.0] * 10], dtype=np.float32)
    results = from_logits(np.zeros((2, 28, 28), np.float32), logits, (None, "no_digit"))

    cold = nondigit_score.scores(results, "eval.uncertainty:max_softmax", 1.0)
    hot = nondigit_score.scores(results, "eval.uncertainty:max_softmax", 1000.0)

    assert cold[0] == pytest.approx(1 - np.exp(4) / (np.exp(4) + 9)) and np.isnan(cold[1])
    assert hot[0] == pytest.approx(0.9, abs=1e-3), "a very high temperature makes every answer a guess"
