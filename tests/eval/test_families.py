"""The families added for what real uploads do (faint, thin, blur, offcentre): each is deterministic
per seed, and each draws what it says (light ink, thin pens on large canvases, blurry small JPEG
crops, small digits anywhere on the canvas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval import synth
from eval.family_font import DEFAULT_FONT_DIR
from eval.labels import Sample

NEW = ("faint", "thin", "blur", "offcentre")


@pytest.fixture(scope="module")
def makers(mnist_dir: Path) -> dict[str, synth.Maker]:
    return synth.makers(NEW, DEFAULT_FONT_DIR, mnist_dir)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("new")


@pytest.fixture(scope="module")
def rows(folder: Path, makers: dict[str, synth.Maker]) -> list[Sample]:
    return synth.generate(folder, per_family=20, seed=4, families=makers)


@pytest.mark.parametrize("family", NEW)
def test_each_new_family_gives_the_same_bytes_for_the_same_seed(
    tmp_path: Path, makers: dict[str, synth.Maker], family: str
) -> None:
    chosen = {family: makers[family]}
    runs = [
        synth.generate(tmp_path / name, 4, seed, chosen, max_side=400)
        for name, seed in zip("abc", (8, 8, 9), strict=True)
    ]
    a, b, c = (
        {r.file: (tmp_path / name / r.file).read_bytes() for r in run}
        for name, run in zip("abc", runs, strict=True)
    )

    assert a == b, f"{family}: the same seed must give the same bytes"
    assert runs[0] == runs[1], f"{family}: and the same labels"
    assert sum(a.get(name) == data for name, data in c.items()) == 0, f"{family}: another seed, other images"


def test_new_families_are_registered_after_the_old_ones() -> None:
    assert synth.FAMILIES[:4] == ("font", "stroke", "photo", "scan"), "the old families' seeds must not move"
    assert set(NEW) <= set(synth.FAMILIES) and set(NEW) <= set(synth.SIDE_RANGES)


def test_faint_ink_is_light_against_its_paper(rows: list[Sample], folder: Path) -> None:
    faint = [r for r in rows if r.family == "faint"]

    assert {r.params["kind"] for r in faint} == {"ballpoint", "pencil", "washed-out"}
    for row in faint:
        grey = np.asarray(Image.open(folder / row.file).convert("L"), dtype=np.float32)
        darkest, paper = np.percentile(grey, [0.1, 50])
        if row.params["kind"] == "pencil":
            assert darkest > 100, f"{row.file}: pencil reaches {darkest:.0f}, too dark"
        if row.params["kind"] == "washed-out":
            assert paper - darkest < 110, f"{row.file}: contrast {paper - darkest:.0f} is not washed out"


def test_thin_pens_are_1_to_3_px_on_large_canvases(rows: list[Sample]) -> None:
    thin = [r for r in rows if r.family == "thin"]

    assert {r.params["source"] for r in thin} == {"template", "mnist"}
    for row in thin:
        assert 1.0 <= float(str(row.params["pen_px"])) <= 3.0, row
        assert all(600 <= side <= 1600 for side in row.params["size"]), row  # type: ignore[attr-defined]


def test_blur_crops_are_small_blurry_jpegs(rows: list[Sample]) -> None:
    blur = [r for r in rows if r.family == "blur"]

    assert {r.file.rsplit(".", 1)[1] for r in blur} == {"jpg"}
    assert {r.params["blur_kind"] for r in blur} == {"gaussian", "defocus"}
    assert all(max(r.params["size"]) <= 200 for r in blur)  # type: ignore[call-overload]


def test_offcentre_digits_are_small_and_some_sit_in_a_corner(rows: list[Sample]) -> None:
    off = [r for r in rows if r.family == "offcentre"]

    for row in off:
        assert 0.08 <= float(str(row.params["share"])) <= 0.32, row
        if row.params["corner"]:
            offset = row.params["offset"]
            assert isinstance(offset, list)
            fx, fy = (float(v) for v in offset)
            assert min(fx, 1 - fx) <= 0.1 and min(fy, 1 - fy) <= 0.1, row
    assert any(r.params["corner"] for r in off) and not all(r.params["corner"] for r in off)


def test_offcentre_ink_covers_a_small_part_of_the_canvas(
    tmp_path: Path, makers: dict[str, synth.Maker]
) -> None:
    rendered = makers["offcentre"](np.random.default_rng(3), 4, None)

    grey = np.asarray(rendered.image.convert("LA" if rendered.image.mode == "RGBA" else "L"))
    background = grey[..., -1] == 0 if rendered.image.mode == "RGBA" else grey == grey[0, 0]
    rows_, cols = np.nonzero(~background)
    box = (cols.max() - cols.min() + 1, rows_.max() - rows_.min() + 1)
    assert max(box) <= 0.35 * min(rendered.image.size), f"ink box {box} on {rendered.image.size}"
