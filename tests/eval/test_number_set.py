"""eval/number_set.py and its parts: numbers laid out as asked (separated ink apart, touching ink
joined, overlapping boxes), a deterministic set labelled with its text and spacing, and the scorer's
offline run with its reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from eval import number_score, number_set
from eval.number_glyphs import SOURCES, Sources
from eval.number_layout import SPACINGS, paste, positions
from eval.number_reading import Reading
from eval.number_score import edit_distance, scores
from eval.number_set import NumberSample


@pytest.fixture(scope="module")
def sources(mnist_dir: Path) -> Sources:
    return Sources.load(mnist_dir, Path("/usr/share/fonts"))


def ring(width: int = 30, height: int = 50) -> Image.Image:
    glyph = Image.new("L", (width, height), 0)
    ImageDraw.Draw(glyph).ellipse((0, 0, width - 1, height - 1), outline=255, width=5)
    return glyph


@pytest.mark.parametrize("spacing", SPACINGS)
def test_neighbours_are_separated_touching_or_overlapping_as_asked(spacing: str) -> None:
    for seed in range(5):
        glyphs = [ring(), ring(), ring()]
        lefts, tops, tilt = positions(glyphs, spacing, 5.0, np.random.default_rng(seed))  # type: ignore[arg-type]
        mask = paste(glyphs, lefts, tops)
        assert isinstance(lefts, list) and len(lefts) == 3 and abs(tilt) <= 5
        _, pieces = ndimage.label(np.asarray(mask) > 127, structure=np.ones((3, 3)))
        gaps = np.diff(lefts) - 30
        if spacing == "separated":
            assert pieces == 3 and (gaps > 0).all(), (seed, lefts)
        elif spacing == "touching":
            assert pieces == 1, f"touching rings are one stroke: seed {seed}, {lefts}"
        else:
            assert (gaps < 0).all() and (gaps >= -0.3 * 30 - 1).all(), (seed, lefts)


def test_the_set_is_deterministic_labelled_and_made_of_test_digits(tmp_path: Path, sources: Sources) -> None:
    rows = number_set.generate(tmp_path / "a", per_kind=1, seed=3, sources=sources, max_side=400)
    again = number_set.generate(tmp_path / "b", per_kind=1, seed=3, sources=sources, max_side=400)
    assert number_set.read_numbers(tmp_path / "a") == rows, "numbers.csv holds what generate() returned"
    assert len(rows) == len(SPACINGS) * len(SOURCES)
    assert {(r.spacing, r.source) for r in rows} == {(s, k) for s in SPACINGS for k in SOURCES}
    for row, twin in zip(rows, again, strict=True):
        assert (tmp_path / "a" / row.file).read_bytes() == (tmp_path / "b" / twin.file).read_bytes()
        assert 2 <= len(row.text) <= 6 and row.text.isdigit()
        with Image.open(tmp_path / "a" / row.file) as image:
            assert max(image.size) <= 400 and list(image.size) == row.params["size"]
        if row.source == "mnist":
            indices = row.params["mnist_test_indices"]
            assert isinstance(indices, list) and len(indices) == len(row.text)
            assert all(0 <= i < 10_000 for i in indices), "MNIST *test* digits only"


def test_scores_count_whole_numbers_and_digits_by_edit_distance() -> None:
    assert edit_distance("2024", "2024") == 0
    assert edit_distance("2024", "224") == 1
    assert edit_distance("31", "731") == 1
    assert edit_distance("42", "") == 2
    samples = [
        NumberSample("a.png", "2024", "separated", "font", {}),
        NumberSample("b.png", "31", "touching", "mnist", {}),
        NumberSample("c.png", "77", "touching", "mnist", {}),
    ]
    readings = [Reading(digits=(2, 0, 2, 4)), Reading(digits=(3,)), Reading(refusal="no_digit")]
    by_spacing = scores(samples, readings, "spacing")
    assert by_spacing["separated"] == {
        "numbers": 1,
        "number_accuracy": 1.0,
        "digit_accuracy": 1.0,
        "wrong_length": 0,
    }
    assert by_spacing["touching"] == {
        "numbers": 2,
        "number_accuracy": 0.0,
        "digit_accuracy": 0.25,
        "wrong_length": 2,
    }
    assert by_spacing["overall"]["number_accuracy"] == round(1 / 3, 4)


def test_the_scorer_reads_a_set_offline_and_writes_its_reports(tmp_path: Path, sources: Sources) -> None:
    number_set.generate(tmp_path, per_kind=1, seed=5, sources=sources, max_side=400)
    report, sheet = tmp_path / "report.json", tmp_path / "misses.png"
    args = ["--images", str(tmp_path), "--json", str(report), "--errors-png", str(sheet)]
    assert number_score.main(args) == 0
    summary = json.loads(report.read_text())
    assert set(summary["by_spacing"]) == {*SPACINGS, "overall"}
    assert summary["by_spacing"]["overall"]["numbers"] == len(SPACINGS) * len(SOURCES)
    for image in summary["per_image"]:
        assert image["refused"] is not None or len(image["boxes"]) == len(image["read"])
    with Image.open(sheet) as picture:
        assert picture.width > 0 and picture.height > 0
