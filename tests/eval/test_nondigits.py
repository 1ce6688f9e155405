"""eval/nondigits.py: every kind is generated, deterministically per seed, labelled -1 with its kind,
and each kind draws what it says (nothing at all for the refusal cases, no digit look-alikes)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval import nondigits
from eval.family_font import DEFAULT_FONT_DIR
from eval.labels import LABELS_FILE, NOT_A_DIGIT, Sample, read_labels
from eval.nondigit_text import LETTER_TEMPLATES, LETTERS
from training.idx import load_labels


@pytest.fixture(scope="module")
def makers(mnist_dir: Path) -> dict[str, nondigits.Maker]:
    return nondigits.makers(nondigits.KINDS, DEFAULT_FONT_DIR, mnist_dir)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nondigits")


@pytest.fixture(scope="module")
def rows(folder: Path, makers: dict[str, nondigits.Maker]) -> list[Sample]:
    return nondigits.generate(folder, per_kind=12, seed=3, kinds=makers, max_side=300)


def grey(folder: Path, row: Sample) -> np.ndarray:
    with Image.open(folder / row.file) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def test_every_kind_is_written_with_label_minus_one(rows: list[Sample], folder: Path) -> None:
    assert read_labels(folder) == rows
    assert Counter(r.family for r in rows) == dict.fromkeys(nondigits.KINDS, 12)
    assert {r.label for r in rows} == {NOT_A_DIGIT}
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(r.file for r in rows), LABELS_FILE])


def test_same_seed_same_bytes_other_seed_other_images(
    tmp_path: Path, makers: dict[str, nondigits.Maker]
) -> None:
    runs = {
        name: nondigits.generate(tmp_path / name, 2, seed, makers, 200)
        for name, seed in (("a", 5), ("b", 5), ("c", 6))
    }
    data = {
        name: {r.file: (tmp_path / name / r.file).read_bytes() for r in rows} for name, rows in runs.items()
    }

    assert data["a"] == data["b"] and runs["a"] == runs["b"], "the same seed must give the same bytes"
    changed = [f for f in data["a"] if data["a"][f] != data["c"].get(f)]
    assert len(changed) >= len(data["a"]) - 6, (
        "another seed must change nearly every image (blanks may repeat)"
    )


def test_refusal_cases_have_nothing_on_them(rows: list[Sample], folder: Path) -> None:
    for row in rows:
        pixels = grey(folder, row)
        spread = float(np.ptp(pixels.reshape(-1, 3), axis=0).max())  # within each channel
        if row.family in ("blank", "uniform"):
            assert spread <= 2, f"{row.file}: a {row.family} picture varies by {spread}"
        if row.family == "low-contrast":
            low, high = np.percentile(pixels.reshape(-1, 3), [1, 99], axis=0)
            assert float((high - low).max()) <= 24, row.file
        if row.family == "noise":
            assert float(pixels.std()) > 3, f"{row.file}: no noise to speak of"


def test_letters_never_pass_for_digits() -> None:
    assert not set(LETTERS) & set("OoQDIlij1SsZzBbgq0123456789"), "letters must not be read as digits"
    assert set(LETTER_TEMPLATES) <= set(LETTERS)


def test_numbers_have_2_to_4_digits_from_the_mnist_test_set(rows: list[Sample], mnist_dir: Path) -> None:
    test_labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz", 10_000)
    numbers = [r for r in rows if r.family == "number"]

    assert {r.params["printed"] for r in numbers} == {True, False}
    for row in numbers:
        text = str(row.params["number"])
        assert 2 <= len(text) <= 4 and text.isdigit(), row
        indices = row.params.get("mnist_test_indices")
        if isinstance(indices, list):
            assert [int(test_labels[i]) for i in indices] == [int(d) for d in text], row


def test_shapes_and_objects_are_the_documented_ones(rows: list[Sample]) -> None:
    shapes = {s.split()[1] for r in rows if r.family == "shape" for s in r.params["shapes"]}  # type: ignore[attr-defined]
    objects = {r.params["object"] for r in rows if r.family == "object"}

    assert shapes <= {"triangle", "square", "star", "cross", "arrow", "heart"} and len(shapes) >= 4
    assert objects == {"mug", "ball", "key"}


def test_cli_rejects_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="unknown kinds"):
        nondigits.main(["--out", str(tmp_path), "--kinds", "blank,ring"])
