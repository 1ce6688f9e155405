"""service.images.ink: strokes found whole, faint parts included; edges, lines and noise are not strokes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from service.errors import NoDigit
from service.images.ink import find_ink


def paper(size: tuple[int, int] = (200, 200), level: int = 235) -> Image.Image:
    return Image.new("L", size, level)


def gray(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float32) / 255


def test_faint_stroke_joined_to_a_dark_one_survives() -> None:
    """A ballpoint 5 whose curve is drawn much lighter than its bar and stem keeps its curve."""
    img = paper()
    draw = ImageDraw.Draw(img)
    draw.line([(70, 40), (130, 40)], fill=20, width=5)  # dark bar
    draw.line([(72, 40), (70, 95)], fill=20, width=5)  # dark stem
    angles = np.radians(np.linspace(-140, 140, 40))
    points = [(97 + 32 * np.cos(a), 118 + 30 * np.sin(a)) for a in angles]  # from the stem's foot
    draw.line([(70, 95), *points], fill=185, width=5, joint="curve")  # drawn much lighter
    ink = find_ink(gray(img))
    curve = ink.mask[110:150, 90:135]
    assert curve.sum() > 100, f"only {curve.sum()} px of the faint curve survived"


def test_faint_marks_that_touch_no_stroke_are_dropped() -> None:
    img = paper()
    draw = ImageDraw.Draw(img)
    draw.line([(100, 40), (100, 160)], fill=20, width=5)
    draw.ellipse([(20, 20), (40, 40)], outline=185, width=3)  # faint, on its own
    ink = find_ink(gray(img))
    assert ink.mask[:, 90:110].any() and not ink.mask[15:45, 15:45].any()


def test_ruled_lines_are_not_grown_into() -> None:
    """Faint lines that cross a stroke and run to the border stay out of the digit."""
    img = paper((300, 200))
    draw = ImageDraw.Draw(img)
    for y in range(20, 200, 30):
        draw.line([(0, y), (300, y)], fill=180, width=2)
    draw.line([(150, 30), (150, 170)], fill=30, width=6)
    ink = find_ink(gray(img))
    cols = np.flatnonzero(ink.mask.any(axis=0))
    assert cols[-1] - cols[0] < 15, f"the mask spans columns {cols[0]}..{cols[-1]}: lines were kept"


def test_a_band_along_the_border_is_an_edge_not_a_stroke() -> None:
    """A gradient or shadow that darkens one side of the picture is not part of the digit."""
    cols = np.indices((200, 200))[1]
    picture = np.clip(0.95 - np.maximum(0, 40 - cols) / 40, 0, 1).astype(np.float32)  # dark left edge
    img = Image.fromarray((picture * 255).astype(np.uint8))
    ImageDraw.Draw(img).line([(120, 40), (120, 160)], fill=20, width=6)
    ink = find_ink(gray(img))
    assert not ink.mask[:, :50].any() and ink.mask[:, 110:130].any()


@pytest.mark.parametrize("level", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("shape", [(28, 28), (1, 1), (300, 200)])
def test_uniform_picture_has_no_digit(level: float, shape: tuple[int, int]) -> None:
    with pytest.raises(NoDigit, match="no ink"):
        find_ink(np.full(shape, level, dtype=np.float32))


def test_blank_paper_photo_has_no_digit() -> None:
    rng = np.random.default_rng(0)
    rows, cols = np.indices((480, 640)) / 640
    picture = 0.7 + 0.1 * cols - 0.1 * rows + rng.normal(0, 0.01, rows.shape)
    with pytest.raises(NoDigit):
        find_ink(np.clip(picture, 0, 1).astype(np.float32))


@pytest.mark.parametrize("sigma", [0.02, 0.06, 0.12, 0.25])
@pytest.mark.parametrize("side", [28, 64, 200])
def test_gaussian_noise_has_no_digit(sigma: float, side: int) -> None:
    rng = np.random.default_rng(side)
    picture = np.clip(0.5 + sigma * rng.standard_normal((side, side)), 0, 1).astype(np.float32)
    with pytest.raises(NoDigit):
        find_ink(picture)


@pytest.mark.parametrize("density", [0.01, 0.05, 0.2])
@pytest.mark.parametrize("background", [0.5, 1.0])
@pytest.mark.parametrize("side", [28, 64, 200])
def test_salt_and_pepper_noise_has_no_digit(density: float, background: float, side: int) -> None:
    rng = np.random.default_rng(side)
    picture = np.full((side, side), background, dtype=np.float32)
    draw = rng.random((side, side))
    picture[draw < density / 2] = 0.0
    picture[(draw >= density / 2) & (draw < density)] = 1.0
    with pytest.raises(NoDigit):
        find_ink(picture)


@pytest.mark.parametrize("size", [(84, 54), (40, 40), (120, 90)])
def test_dense_salt_and_pepper_smeared_by_jpeg_has_no_digit(size: tuple[int, int]) -> None:
    """JPEG smears 20% of specks into clumps; one median pass left some of them as a 'digit'."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        noise = np.full(size[::-1], 128, dtype=np.uint8)
        specks = rng.random(noise.shape) < 0.2
        noise[specks] = np.where(rng.random(int(np.count_nonzero(specks))) < 0.5, 0, 255)
        out = io.BytesIO()
        Image.fromarray(noise).save(out, format="JPEG", quality=90)
        picture = np.asarray(Image.open(out).convert("L"), dtype=np.float32) / 255
        with pytest.raises(NoDigit):
            find_ink(picture)


def test_a_digit_on_noisy_paper_is_found() -> None:
    rng = np.random.default_rng(1)
    img = paper()
    ImageDraw.Draw(img).line([(100, 40), (100, 160)], fill=40, width=6)
    picture = np.clip(gray(img) + rng.normal(0, 0.03, (200, 200)), 0, 1).astype(np.float32)
    ink = find_ink(picture)
    rows = np.flatnonzero(ink.mask.any(axis=1)) / ink.scale
    assert rows[0] <= 42 and rows[-1] >= 158


def test_scale_maps_back_to_the_decoded_picture() -> None:
    img = paper((800, 400))
    ImageDraw.Draw(img).line([(400, 100), (400, 300)], fill=20, width=12)
    ink = find_ink(gray(img))
    assert ink.mask.shape == (96, 192) and ink.scale == pytest.approx(192 / 800)
    cols = np.flatnonzero(ink.mask.any(axis=0)) / ink.scale
    assert 380 < cols.mean() < 420


def test_a_washed_out_digit_far_above_the_noise_is_found() -> None:
    """Faint ink (8% contrast) counts when it stands far above the noise; a washed-out photo is not
    blank paper."""
    rng = np.random.default_rng(3)
    img = paper((200, 200), level=200)
    ImageDraw.Draw(img).line([(100, 40), (100, 160)], fill=184, width=8)
    picture = np.clip(gray(img) + rng.normal(0, 0.002, (200, 200)), 0, 1).astype(np.float32)
    ink = find_ink(picture)
    rows = np.flatnonzero(ink.mask.any(axis=1)) / ink.scale
    cols = np.flatnonzero(ink.mask.any(axis=0)) / ink.scale
    assert rows[0] < 45 and rows[-1] > 155 and cols[0] >= 94 and cols[-1] <= 106


def test_salt_and_pepper_is_removed_but_a_hairline_is_not_an_impulse() -> None:
    """Dust and dead pixels are median-filtered away; a 1-px line has neighbours along it and stays."""
    rng = np.random.default_rng(5)
    img = paper((120, 120), level=255)
    ImageDraw.Draw(img).line([(60, 20), (60, 100)], fill=0, width=1)
    clean = gray(img)
    assert find_ink(clean).mask[25:95, 58:63].any(axis=1).all(), "the hairline survives"
    dusty = clean.copy()
    speckled = rng.random(dusty.shape)
    dusty[speckled < 0.04] = 0.0
    ink = find_ink(dusty)
    line = np.zeros(ink.mask.shape, dtype=bool)
    line[20:101, 58:63] = True
    assert ink.mask[line].any(axis=None) and ink.mask[25:95, 58:63].any(axis=1).all(), "the line stays"
    left, before = int(ink.mask[~line].sum()), int((dusty < 0.5).sum())
    assert left < 0.1 * before, f"{left} px of {before} px of dust left in the ink"
