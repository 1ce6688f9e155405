"""eval/number_oracle.py: the true ink of every digit of a generated number, and the ceiling it gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval import number_oracle, number_set
from eval.number_glyphs import Sources


@pytest.fixture(scope="module")
def sources(mnist_dir: Path) -> Sources:
    return Sources.load(mnist_dir, Path("/usr/share/fonts"))


def test_each_digit_gets_its_own_ink_left_to_right(tmp_path: Path, sources: Sources) -> None:
    samples = number_set.generate(tmp_path, per_kind=1, seed=4, sources=sources, max_side=400)
    for sample in samples:
        masks = number_oracle.true_masks(sources, sample, seed=4, max_side=400)
        with Image.open(tmp_path / sample.file) as image:
            size = image.size
        assert len(masks) == len(sample.text), sample.file
        lefts = [int(np.flatnonzero(m.any(axis=0))[0]) for m in masks]
        assert lefts == sorted(lefts), f"{sample.file}: the digits' ink runs left to right: {lefts}"
        for mask in masks:
            assert mask.shape == size[::-1] and mask.any(), sample.file
        if sample.spacing == "separated":
            overlap = np.logical_and.reduce(masks[:2]).sum()
            assert overlap == 0, f"{sample.file}: separated digits share no ink"


def test_another_seed_is_refused(tmp_path: Path, sources: Sources) -> None:
    sample = number_set.generate(tmp_path, per_kind=1, seed=4, sources=sources, max_side=400)[0]
    with pytest.raises(ValueError, match="seed 5 makes"):
        number_oracle.true_masks(sources, sample, seed=5, max_side=400)


def test_the_ceiling_reads_a_set_and_splits_the_misses(
    tmp_path: Path, sources: Sources, mnist_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number_set.generate(tmp_path, per_kind=1, seed=4, sources=sources, max_side=400)
    args = ["--images", str(tmp_path), "--seed", "4", "--max-side", "400", "--mnist-dir", str(mnist_dir)]
    assert number_oracle.main(args) == 0
    report = capsys.readouterr().out
    assert "true digits" in report and "segmentation" in report, report
    overall = [line for line in report.splitlines() if line.startswith("overall")]
    assert len(overall) == 3, "service, true digits and the split each end in an overall row"
