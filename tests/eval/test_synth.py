"""eval/synth.py: deterministic per seed, every family, labels that match the files, decodable images
whose sizes stay in the stated ranges, and photos built only from MNIST test digits of the right label."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval import synth
from eval.compose import Rendered
from eval.family_font import DEFAULT_FONT_DIR, find_fonts, make_font
from eval.family_stroke import catmull_rom
from eval.labels import LABELS_FILE, read_labels
from training.idx import load_labels

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
COMMITTED = Path(__file__).resolve().parents[1] / "data" / "realworld"
FORMATS = {"png": "PNG", "jpg": "JPEG"}


@pytest.fixture(scope="module")
def makers(mnist_dir: Path) -> dict[str, synth.Maker]:
    return synth.makers(synth.FAMILIES, DEFAULT_FONT_DIR, mnist_dir)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_every_family_is_generated_and_labels_match_the_files(
    tmp_path: Path, makers: dict[str, synth.Maker]
) -> None:
    rows = synth.generate(tmp_path, per_family=3, seed=7, families=makers)

    assert read_labels(tmp_path) == rows, "labels.csv must hold exactly the rows generate() returned"
    assert Counter(r.family for r in rows) == dict.fromkeys(synth.FAMILIES, 3), "3 images per family"
    assert sorted(files_of(tmp_path)) == sorted([*(r.file for r in rows), LABELS_FILE]), (
        "no missing/extra file"
    )
    for family in synth.FAMILIES:
        assert [r.label for r in rows if r.family == family] == [0, 1, 2], f"{family}: labels cycle 0..9"


def test_same_seed_gives_the_same_bytes_and_a_smaller_run_is_a_prefix(
    tmp_path: Path, makers: dict[str, synth.Maker]
) -> None:
    synth.generate(tmp_path / "a", per_family=2, seed=11, families=makers)
    synth.generate(tmp_path / "b", per_family=3, seed=11, families=makers)
    synth.generate(tmp_path / "c", per_family=2, seed=12, families=makers)
    a, b, c = (files_of(tmp_path / name) for name in "abc")

    images_a = {name: data for name, data in a.items() if name != LABELS_FILE}
    assert images_a == {name: b[name] for name in images_a}, (
        "same seed must reproduce every image byte for byte"
    )
    rows_a, rows_b = read_labels(tmp_path / "a"), read_labels(tmp_path / "b")
    assert rows_a == [r for r in rows_b if r.file.split(".")[0][-1] in "01"], (
        "labels.csv must be a prefix too"
    )
    assert sum(a.get(name) == data for name, data in c.items()) <= 1, "another seed must give other images"


def test_images_decode_in_their_format_with_sizes_in_the_stated_ranges(
    tmp_path: Path, makers: dict[str, synth.Maker]
) -> None:
    rows = synth.generate(tmp_path, per_family=10, seed=3, families=makers)

    for row in rows:
        with Image.open(tmp_path / row.file) as image:
            image.load()
            assert image.format == FORMATS[row.file.rsplit(".", 1)[1]], f"{row.file}: extension lies"
            assert list(image.size) == row.params["size"], f"{row.file}: size differs from labels.csv"
        lo, hi = synth.SIDE_RANGES[row.family]
        assert all(lo <= side <= hi for side in image.size), f"{row.file}: {image.size} outside {lo}-{hi}"


def test_max_side_caps_every_canvas(tmp_path: Path, makers: dict[str, synth.Maker]) -> None:
    rows = synth.generate(tmp_path, per_family=5, seed=5, families=makers, max_side=120)

    sizes = [Image.open(tmp_path / r.file).size for r in rows]
    assert max(max(s) for s in sizes) <= 120, f"a canvas exceeds --max-side 120: {max(sizes)}"


def test_families_from_mnist_use_test_digits_of_their_label(
    tmp_path: Path, makers: dict[str, synth.Maker], mnist_dir: Path
) -> None:
    test_labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz", 10_000)
    chosen = {f: makers[f] for f in synth.FROM_MNIST}
    rows = synth.generate(tmp_path, per_family=10, seed=9, families=chosen, max_side=300)

    for row in rows:
        if row.params.get("source") == "template":  # half of the thin family draws stroke templates
            continue
        index = row.params["mnist_test_index"]
        assert isinstance(index, int) and 0 <= index < 10_000, f"{row.file}: not a test-set index"
        assert test_labels[index] == row.label, f"{row.file}: MNIST test digit {index} is not a {row.label}"
    assert any(r.params.get("source") == "mnist" for r in rows if r.family == "thin")


@pytest.mark.skipif(not DEJAVU.is_dir(), reason="DejaVu fonts are not installed")
def test_the_first_four_families_still_make_the_committed_sample(tmp_path: Path, mnist_dir: Path) -> None:
    old = ("font", "stroke", "photo", "scan")
    chosen = synth.makers(old, DEJAVU, mnist_dir)
    rows = synth.generate(tmp_path, per_family=3, seed=2024, families=chosen, max_side=256)

    for row in rows:
        assert (tmp_path / row.file).read_bytes() == (COMMITTED / row.file).read_bytes(), (
            f"{row.file} no longer matches tests/data/realworld: a change altered an existing family"
        )


def test_photos_are_jpegs_and_stroke_drawings_include_transparent_pngs(
    tmp_path: Path, makers: dict[str, synth.Maker]
) -> None:
    rows = synth.generate(
        tmp_path, per_family=30, seed=1, families={f: makers[f] for f in ("stroke", "photo")}
    )

    photo_formats = {Image.open(tmp_path / r.file).format for r in rows if r.family == "photo"}
    stroke_modes = {Image.open(tmp_path / r.file).mode for r in rows if r.family == "stroke"}
    assert photo_formats == {"JPEG"}, f"phone photos must be JPEG, got {photo_formats}"
    assert "RGBA" in stroke_modes, "some canvas drawings must carry their ink in an alpha channel"


@pytest.mark.skipif(not DEJAVU.is_dir(), reason="DejaVu fonts are not installed")
def test_font_family_works_with_dejavu_alone() -> None:
    fonts = find_fonts(DEJAVU)
    rendered = make_font(fonts, np.random.default_rng(0), 8, None)

    assert len(fonts) >= 10, f"expected the DejaVu family to give at least 10 usable fonts, got {len(fonts)}"
    assert all(path.parent == DEJAVU for path in fonts)
    assert rendered.image.getbbox() is not None, "the rendered digit image is empty"


def test_catmull_rom_passes_through_its_control_points() -> None:
    points = np.array([[0.0, 0.0], [1.0, 0.5], [0.2, 1.0]])

    open_curve = catmull_rom(points, closed=False, samples=8)
    loop = catmull_rom(points, closed=True, samples=8)

    np.testing.assert_allclose(open_curve[::8], points, err_msg="an open curve must pass through every point")
    np.testing.assert_allclose(loop[::8], np.vstack([points, points[:1]]), err_msg="a loop must close")


def test_cli_writes_only_the_chosen_families_and_rejects_unknown_ones(
    tmp_path: Path, mnist_dir: Path
) -> None:
    args = [
        "--out",
        str(tmp_path),
        "--per-family",
        "2",
        "--families",
        "stroke",
        "--mnist-dir",
        str(mnist_dir),
    ]
    assert synth.main(args) == 0
    assert [r.family for r in read_labels(tmp_path)] == ["stroke", "stroke"]

    with pytest.raises(SystemExit, match="unknown families"):
        synth.main(["--out", str(tmp_path), "--families", "stroke,sketch"])


def test_encode_round_trips_transparency_as_png() -> None:
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    rgba.putpixel((3, 3), (255, 255, 255, 255))

    data = synth.encode(Rendered(rgba, "PNG"))

    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.getpixel((3, 3)) == (255, 255, 255, 255)
