"""service.images.preprocess: real digit pictures made with Pillow come out as MNIST-style 28x28 input."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from service.errors import NoDigit
from service.images.preprocess import normalize_digit, preprocess_image
from training.idx import load_images

MAX_PIXELS = 4_000_000


@functools.cache
def font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=150)


def encode(img: Image.Image, fmt: str = "PNG", **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def glyph(digit: str, size: tuple[int, int] = (200, 220), at: tuple[int, int] = (40, 10)) -> Image.Image:
    """A typeset digit, black ink on white paper."""
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text(at, digit, font=font(), fill=0)
    return img


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / image.sum()), float((cols * image).sum() / image.sum())


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of the non-zero pixels."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def check_contract(out: np.ndarray) -> None:
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


@pytest.fixture(scope="module")
def mnist(mnist_dir: Path) -> np.ndarray:
    return load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:1000]


def test_mnist_pngs_pass_through_exactly(mnist: np.ndarray) -> None:
    for index, digit in enumerate(mnist):
        out = preprocess_image(encode(Image.fromarray(digit)), MAX_PIXELS)
        expected = digit.astype(np.float32) / 255
        assert np.array_equal(out, expected), f"MNIST test image {index} was altered"


def test_inverted_mnist_is_recognised_and_comes_back_close(mnist: np.ndarray) -> None:
    correlations = []
    for digit in mnist[:100]:
        out = normalize_digit(1 - digit.astype(np.float32) / 255)  # dark digit on white
        check_contract(out)
        correlations.append(np.corrcoef(out.ravel(), digit.ravel())[0, 1])
    assert np.median(correlations) > 0.9, f"median correlation {np.median(correlations):.3f}"


@pytest.mark.parametrize("digit", list("0123456789"))
def test_typeset_digit_follows_the_contract(digit: str) -> None:
    out = preprocess_image(encode(glyph(digit)), MAX_PIXELS)
    check_contract(out)
    assert out.max() == 1.0, "the strongest ink is stretched to 1"
    assert max(ink_box(out)) == 20, f"longer side {ink_box(out)} must be 20 px"
    centre = centre_of_mass(out)
    assert abs(centre[0] - 14) <= 1 and abs(centre[1] - 14) <= 1, f"centre of mass {centre}"


def test_dark_on_light_and_light_on_dark_give_the_same_result() -> None:
    dark_on_light = glyph("7")
    light_on_dark = Image.eval(dark_on_light, lambda v: 255 - v)
    a = preprocess_image(encode(dark_on_light), MAX_PIXELS)
    b = preprocess_image(encode(light_on_dark), MAX_PIXELS)
    np.testing.assert_allclose(a, b, atol=1e-3)  # float rounding of 1 - x moves the ink percentile a hair


def test_crop_makes_position_and_canvas_size_irrelevant() -> None:
    small = preprocess_image(encode(glyph("4", size=(150, 180), at=(20, 0))), MAX_PIXELS)
    corner = preprocess_image(encode(glyph("4", size=(190, 190), at=(90, 30))), MAX_PIXELS)
    np.testing.assert_allclose(small, corner, atol=1e-5)


def test_tall_thin_one_stays_thin() -> None:
    """A 1:20 bar would be a 1-px line in the frame: it comes out 20 px tall and as wide as MNIST's
    strokes (about 2 px), not wider."""
    img = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(img).rectangle((145, 50, 154, 249), fill=0)  # 10 px wide, 200 px tall
    out = preprocess_image(encode(img), MAX_PIXELS)
    assert ink_box(out) in ((20, 2), (20, 3)), f"a 1:20 bar must come out 20x2 or 20x3, got {ink_box(out)}"
    assert out.sum(axis=1)[out.any(axis=1)].mean() == pytest.approx(2.25, abs=0.35), "MNIST's width"
    centre = centre_of_mass(out)
    assert abs(centre[0] - 14) <= 0.5 and abs(centre[1] - 14) <= 0.5, f"centre of mass {centre}"


def test_wide_shape_gets_width_20_and_keeps_its_aspect_ratio() -> None:
    img = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(img).rectangle((50, 100, 349, 124), fill=0)  # 300 x 25: 12 to 1, a 1.7 px stroke
    out = preprocess_image(encode(img), MAX_PIXELS)
    assert ink_box(out) == (2, 20)


def test_a_bar_thicker_than_any_mnist_stroke_is_thinned() -> None:
    img = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(img).rectangle((50, 100, 349, 174), fill=0)  # 300 x 75: a 5 px stroke in the frame
    out = preprocess_image(encode(img), MAX_PIXELS)
    assert ink_box(out) == (4, 20), "thinned to MNIST's widest strokes (3.5 px)"


def test_thick_strokes_are_not_hollowed_by_the_background_estimate() -> None:
    img = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(img).ellipse((40, 20, 240, 260), outline=0, width=45)  # a bold "0"
    out = preprocess_image(encode(img), MAX_PIXELS)
    ring = out[out > 0]
    assert (ring >= 0.99).mean() > 0.4, "the stroke's core must be full-strength ink"
    assert out[12:16, 12:16].max() == 0, "the hole of the 0 stays empty"


def test_transparent_png_of_a_black_digit_matches_the_same_digit_on_white() -> None:
    on_white = glyph("3")
    alpha = Image.eval(on_white, lambda v: 255 - v)  # opaque where the ink is
    transparent = Image.merge("RGBA", [Image.new("L", on_white.size, 0)] * 3 + [alpha])
    a = preprocess_image(encode(transparent), MAX_PIXELS)
    b = preprocess_image(encode(on_white), MAX_PIXELS)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_white_strokes_on_a_transparent_canvas_are_not_lost() -> None:
    on_white = glyph("3")
    alpha = Image.eval(on_white, lambda v: 255 - v)
    white_ink = Image.merge("RGBA", [Image.new("L", on_white.size, 255)] * 3 + [alpha])
    a = preprocess_image(encode(white_ink), MAX_PIXELS)
    b = preprocess_image(encode(on_white), MAX_PIXELS)
    assert a.max() == 1.0, "the strokes must survive compositing"
    np.testing.assert_allclose(a, b, atol=0.01)  # same digit, up to 8-bit rounding of the inversion


def test_jpeg_with_exif_orientation_6_matches_the_upright_picture() -> None:
    upright = glyph("2")
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    rotated = preprocess_image(encode(stored, "JPEG", exif=exif, quality=90), MAX_PIXELS)
    plain = preprocess_image(encode(upright, "JPEG", quality=90), MAX_PIXELS)
    assert np.abs(rotated - plain).mean() < 0.02
    unrotated = preprocess_image(encode(stored, "JPEG", quality=90), MAX_PIXELS)
    assert np.abs(unrotated - plain).mean() > 0.1, "without the tag the digit would be on its side"


def test_specks_far_from_the_digit_are_ignored() -> None:
    clean = glyph("5", size=(260, 260), at=(80, 40))
    dirty = clean.copy()
    draw = ImageDraw.Draw(dirty)
    for x, y in [(10, 10), (240, 20), (15, 240), (245, 245)]:
        draw.ellipse((x, y, x + 5, y + 5), fill=0)
    a = preprocess_image(encode(dirty), MAX_PIXELS)
    b = preprocess_image(encode(clean), MAX_PIXELS)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_faint_smudge_bigger_than_the_digit_is_not_taken_for_it() -> None:
    clean = glyph("7", size=(300, 300), at=(150, 100))
    smudge = Image.new("L", clean.size, 255)
    ImageDraw.Draw(smudge).ellipse((10, 10, 120, 120), fill=110)  # about half the ink's contrast
    dirty = ImageChops.darker(clean, smudge.filter(ImageFilter.GaussianBlur(6)))
    a = preprocess_image(encode(dirty), MAX_PIXELS)
    b = preprocess_image(encode(clean), MAX_PIXELS)
    assert np.abs(a - b).max() < 0.05, "the output must be the digit, not the smudge"


def photograph(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """An MNIST digit as a phone photo: dark ink on dim, unevenly lit, textured paper with a soft
    shadow across one corner, sensor noise and JPEG compression."""
    ink = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BICUBIC), np.float32) / 255
    ink = np.pad(np.clip(ink * 1.3, 0, 1), ((60, 100), (140, 60)))
    rows, cols = np.indices(ink.shape) / 480
    paper = 0.75 - 0.2 * cols + 0.1 * rows
    shadow = Image.fromarray(((rows + cols < 0.5) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(20)
    )
    paper *= 1 - 0.35 * np.asarray(shadow, np.float32) / 255
    gray = paper * (1 - 0.8 * ink) + rng.normal(0, 0.02, ink.shape)
    img = Image.fromarray(np.clip(gray * 255, 0, 255).astype(np.uint8)).convert("RGB")
    return encode(img, "JPEG", quality=70)


def test_photo_with_uneven_light_shadow_and_noise_comes_out_like_mnist(mnist: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    for index in range(10):
        digit = mnist[index]
        out = preprocess_image(photograph(digit, rng), MAX_PIXELS)
        check_contract(out)
        correlation = np.corrcoef(out.ravel(), digit.ravel())[0, 1]
        assert correlation > 0.8, f"photo of MNIST test image {index}: correlation {correlation:.3f}"
        assert max(ink_box(out)) <= 21, f"image {index}: shadow or noise widened the crop to {ink_box(out)}"


@pytest.mark.parametrize("level", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("shape", [(28, 28), (1, 1), (300, 200), (0, 5)])
def test_uniform_image_has_no_digit(level: float, shape: tuple[int, int]) -> None:
    with pytest.raises(NoDigit) as refused:
        normalize_digit(np.full(shape, level, dtype=np.float32))
    assert refused.value.code == "no_digit"


def test_blank_paper_photo_has_no_digit() -> None:
    rng = np.random.default_rng(0)
    rows, cols = np.indices((480, 640)) / 640
    gray = 0.7 + 0.1 * cols - 0.1 * rows + rng.normal(0, 0.01, rows.shape)
    data = encode(Image.fromarray(np.clip(gray * 255, 0, 255).astype(np.uint8)), "JPEG", quality=80)
    with pytest.raises(NoDigit, match="blank"):
        preprocess_image(data, MAX_PIXELS)


def test_one_pixel_image_has_no_digit() -> None:
    with pytest.raises(NoDigit):
        preprocess_image(encode(Image.new("L", (1, 1), 0)), MAX_PIXELS)


def test_thin_pen_on_a_large_canvas_comes_out_with_mnist_strokes() -> None:
    """A 1-px pen line on a 1000-px canvas: 2 to 3 px wide in the 28x28 frame."""
    img = Image.new("L", (1000, 1000), 255)
    ImageDraw.Draw(img).line([(300, 150), (620, 180), (420, 850)], fill=0, width=1)  # a thin 7
    out = preprocess_image(encode(img), MAX_PIXELS)
    stem = out[12:20]  # rows crossing the 7's diagonal stroke only
    widths = [row.sum() for row in stem if row.any()]
    assert 2.0 <= float(np.median(widths)) <= 3.0, f"stroke widths in the frame: {widths}"


def test_off_centre_digit_on_a_big_canvas_is_centred() -> None:
    """A canvas drawing in one corner of a mostly empty canvas comes out like a centred one."""
    corner = glyph("2", size=(900, 700), at=(700, 500))
    centred = glyph("2", size=(300, 300), at=(100, 60))
    a = preprocess_image(encode(corner), MAX_PIXELS)
    b = preprocess_image(encode(centred), MAX_PIXELS)
    centre = centre_of_mass(a)
    assert abs(centre[0] - 14) <= 1 and abs(centre[1] - 14) <= 1, f"centre of mass {centre}"
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.85, "the same digit, seen at a lower resolution"


def test_nan_and_out_of_range_values_are_cleaned_not_propagated() -> None:
    gray = np.full((60, 60), 1.0)
    gray[10:50, 28:32] = -5.0  # dark ink below the range
    gray[0, 0] = np.nan
    out = normalize_digit(gray)
    check_contract(out)
    assert ink_box(out) == (20, 2)


def test_non_2d_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="2-D"):
        normalize_digit(np.zeros((28, 28, 3)))
