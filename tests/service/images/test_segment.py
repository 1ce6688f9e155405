"""service.images.segment: numbers drawn with Pillow come apart into their digits, left to right.

The pictures are dark ink on light paper, drawn with a round pen: separated and touching digits, a 5
whose top bar is detached, a 4 in two strokes that do not meet, a decimal point and specks, and a
large picture whose boxes must come back in its own pixels. Without a model the reading is chosen by
shape alone (:func:`read_number`); :meth:`Candidates.best` with confidences is tested on its own.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from service.errors import NoDigit, TooManyDigits
from service.images.ink import find_ink
from service.images.preprocess import normalize_digit
from service.images.segment import Candidates, number_candidates, read_number, read_number_bytes

Point = tuple[float, float]
PEN = 9  # px, the pen's width on a digit 100 px tall


def paper(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (width, height), 255)
    return image, ImageDraw.Draw(image)


def stroke(draw: ImageDraw.ImageDraw, points: Sequence[Point], pen: int = PEN) -> None:
    """A round-capped pen stroke through ``points``."""
    draw.line(list(points), fill=0, width=pen, joint="curve")
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=0)


def zero(draw: ImageDraw.ImageDraw, left: float, top: float, width: float = 55, height: float = 100) -> None:
    draw.ellipse((left, top, left + width, top + height), outline=0, width=PEN)


def one(draw: ImageDraw.ImageDraw, left: float, top: float) -> None:
    stroke(draw, [(left, top + 15), (left + 15, top), (left + 15, top + 100)])


def seven(draw: ImageDraw.ImageDraw, left: float, top: float) -> None:
    stroke(draw, [(left, top), (left + 55, top), (left + 20, top + 100)])


def five(draw: ImageDraw.ImageDraw, left: float, top: float, bar_gap: float = 0) -> None:
    """A 5: the stem and belly in one stroke, the top bar as a second one, ``bar_gap`` px away."""
    stroke(draw, [(left + 8, top + 8), (left + 4, top + 45)])
    belly = [(left + 4, top + 45), (left + 35, top + 38), (left + 55, top + 60), (left + 45, top + 92)]
    stroke(draw, [*belly, (left + 20, top + 100), (left, top + 90)])
    stroke(draw, [(left + 8 + bar_gap, top + 2), (left + 55, top + 2)])


def four(draw: ImageDraw.ImageDraw, left: float, top: float) -> None:
    """A 4 in two strokes that do not meet: the open angle, and the upright beside its bar."""
    stroke(draw, [(left + 30, top), (left, top + 65), (left + 38, top + 65)])
    stroke(draw, [(left + 48, top + 10), (left + 48, top + 100)])


def xs(crops: Sequence[object]) -> list[int]:
    return [c.box[0] for c in crops]  # type: ignore[attr-defined]


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_separated_digits_come_out_left_to_right_with_their_boxes() -> None:
    image, draw = paper(400, 160)
    seven(draw, 30, 30)
    zero(draw, 150, 30)
    one(draw, 290, 30)
    crops = read_number(as_array(image))
    assert len(crops) == 3, [c.box for c in crops]
    assert xs(crops) == sorted(xs(crops)), "left to right"
    for crop, (x0, x1) in zip(crops, [(30, 85), (150, 205), (290, 305)], strict=True):
        assert crop.pixels.shape == (28, 28) and crop.pixels.dtype == np.float32
        assert crop.pixels.max() == pytest.approx(1.0)
        left, top, right, bottom = crop.box
        assert abs(left - x0) <= PEN and abs(right - x1) <= PEN, crop.box
        assert 20 <= top <= 30 and 130 <= bottom <= 140, crop.box


def test_touching_digits_are_cut_where_they_meet() -> None:
    image, draw = paper(360, 160)
    for k in range(3):
        zero(draw, 40 + k * 58, 30)  # each ring touches the next
    crops = read_number(as_array(image))
    assert len(crops) == 3, [c.box for c in crops]
    for crop, left in zip(crops, (40, 98, 156), strict=True):
        assert abs(crop.box[0] - left) <= 8 and abs(crop.box[2] - (left + 55)) <= 8, crop.box


def test_a_lone_wide_digit_is_never_cut() -> None:
    image, draw = paper(240, 160)
    zero(draw, 40, 30, width=130, height=100)
    crops = read_number(as_array(image))
    assert len(crops) == 1
    np.testing.assert_array_equal(crops[0].pixels, normalize_digit(as_array(image)))


@pytest.mark.parametrize("gap", [0, 6], ids=["bar-touching", "bar-detached"])
def test_a_broken_5_and_a_two_stroke_4_are_one_digit_each(gap: int) -> None:
    image, draw = paper(300, 160)
    five(draw, 40, 30, bar_gap=gap)
    four(draw, 170, 30)
    crops = read_number(as_array(image))
    assert len(crops) == 2, [c.box for c in crops]
    assert crops[0].box[2] >= 90, "the 5's top bar belongs to the 5"
    assert crops[1].box[0] <= 170 and crops[1].box[2] >= 215, "both strokes of the 4 are one digit"


def test_a_decimal_point_and_specks_are_left_out() -> None:
    image, draw = paper(420, 170)
    one(draw, 30, 30)
    draw.ellipse((100, 122, 112, 134), fill=0)  # the point, on the baseline
    seven(draw, 140, 30)
    zero(draw, 240, 30)
    for x, y in [(350, 20), (380, 150), (200, 155), (20, 10)]:
        draw.point([(x, y), (x + 1, y)], fill=0)  # dust
    crops = read_number(as_array(image))
    assert len(crops) == 3, [c.box for c in crops]
    assert all(c.box[0] > 112 or c.box[2] < 100 for c in crops), "the point is no digit"


def test_boxes_map_back_to_the_pixels_of_a_large_picture() -> None:
    """1200x480 is analysed at 192 px; the boxes must come back in the upload's own pixels."""
    glyphs = [(seven, 150), (zero, 520), (one, 900)]
    big = Image.new("L", (1200, 480), 255)
    for glyph, left in glyphs:
        layer, pen = paper(300, 160)
        glyph(pen, 20, 20)
        big.paste(layer.resize((900, 480)).crop((0, 0, 300, 480)), (left - 60, 0))
    crops = read_number_bytes(png(big), max_pixels=10_000_000)
    assert len(crops) == 3, [c.box for c in crops]
    ink = np.asarray(big) < 128
    for crop in crops:
        left, top, right, bottom = crop.box
        inside = ink[top:bottom, left:right].sum()
        assert 0 <= left < right <= 1200 and 0 <= top < bottom <= 480
        assert inside > 0.95 * ink[:, max(0, left - 40) : right + 40].sum(), "the box holds its digit's ink"
        assert (right - left) < 350 and (bottom - top) > 250, crop.box


def test_an_mnist_like_picture_is_one_digit_as_it_is() -> None:
    pixels = np.zeros((28, 28), dtype=np.float32)
    pixels[6:22, 12:16] = 1.0
    crops = read_number(pixels)
    assert len(crops) == 1 and crops[0].box == (0, 0, 28, 28)
    np.testing.assert_array_equal(crops[0].pixels, pixels)


def test_no_ink_noise_and_too_many_digits_are_refused() -> None:
    with pytest.raises(NoDigit):
        read_number(np.ones((100, 300), dtype=np.float32))
    dust = np.ones((120, 360), dtype=np.float32)
    rng = np.random.default_rng(1)
    for y, x in zip(rng.integers(0, 118, 150), rng.integers(0, 358, 150), strict=True):
        dust[y : y + 3, x : x + 3] = 0.0
    with pytest.raises(NoDigit, match="specks"):
        read_number(dust)
    image, draw = paper(900, 160)
    for k in range(8):
        one(draw, 30 + k * 105, 30)
    assert len(read_number(as_array(image))) == 8
    with pytest.raises(TooManyDigits, match="limit is 7"):
        read_number(as_array(image), max_digits=7)


def test_the_model_chooses_between_readings_when_the_shapes_leave_a_choice() -> None:
    """Three atoms; the middle one may join either side. The most confident reading wins."""
    candidates = Candidates(
        crops=[None] * 5,  # type: ignore[list-item]
        spans=[(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)],
        shapes=[0.0] * 5,
        skippable=[False, False, False],
    )
    assert candidates.best(np.array([0.99, 0.3, 0.99, 0.5, 0.99])) == [0, 4]
    assert candidates.best(np.array([0.99, 0.95, 0.99, 0.5, 0.5])) == [0, 1, 2]
    assert candidates.best(np.array([0.3, 0.3, 0.99, 0.99, 0.3])) == [3, 2]


def test_typeset_digits_are_read_one_by_one() -> None:
    image, draw = paper(520, 200)
    draw.text((30, 20), "2 0 2 4", font=ImageFont.load_default(size=140), fill=0)
    candidates = number_candidates(as_array(image))
    assert candidates.simple, "well separated digits leave nothing to choose"
    assert len(candidates.crops) == 4


def test_find_ink_analyses_at_the_work_side_asked_for() -> None:
    image, draw = paper(768, 160)
    seven(draw, 30, 30)
    zero(draw, 150, 30)
    default, finer = find_ink(as_array(image), row=True), find_ink(as_array(image), row=True, work_side=384)
    assert default.mask.shape == (40, 192) and default.scale == pytest.approx(0.25)
    assert finer.mask.shape == (80, 384) and finer.scale == pytest.approx(0.5)


def slanted_zero(draw: ImageDraw.ImageDraw, centre: Point, slant: float, size: Point = (24, 50)) -> None:
    """A ring leaning right by ``slant`` columns per row, as handwriting leans."""
    turns = np.linspace(0, 2 * np.pi, 60)
    xs_, ys_ = size[0] * np.cos(turns), size[1] * np.sin(turns)
    points = [(centre[0] + x - slant * y, centre[1] + y) for x, y in zip(xs_, ys_, strict=True)]
    draw.line(points, fill=0, width=PEN, joint="curve")


def test_leaning_touching_digits_are_cut_along_their_slant() -> None:
    """Two rings leaning at 0.5 touch halfway up; an upright cut through the join would slice into
    both, a cut along their lean gives each ring whole: that reading must be among the candidates."""
    image, draw = paper(320, 160)
    for centre in [(110, 80), (166, 80)]:
        slanted_zero(draw, centre, 0.5)
    candidates = number_candidates(as_array(image))
    boxes = [candidates.crops[k].box for k in range(len(candidates.crops))]
    for left, right in [(71, 149), (127, 205)]:
        assert any(abs(b[0] - left) <= PEN and abs(b[2] - right) <= PEN for b in boxes), (left, boxes)


def test_a_stroke_as_wide_as_two_digits_is_cut_only_when_the_model_doubts_it_whole() -> None:
    """Two atoms of one guarded stroke: whole when the model is sure of it (or without a model),
    cut when it is not and the halves read surely."""
    candidates = Candidates(
        crops=[None] * 3,  # type: ignore[list-item]
        spans=[(0, 1), (1, 2), (0, 2)],
        shapes=[0.0] * 3,
        skippable=[False, False],
        guards=(2,),
    )
    assert candidates.best() == [2]
    assert candidates.best(np.array([0.99, 0.99, 0.95])) == [2]
    assert candidates.best(np.array([0.99, 0.99, 0.5])) == [0, 1]


def test_two_touching_digits_in_one_stroke_are_guarded_not_lost() -> None:
    image, draw = paper(300, 160)
    zero(draw, 60, 30)
    zero(draw, 112, 30)  # one stroke 1.07 times as wide as tall
    candidates = number_candidates(as_array(image))
    assert len(candidates.guards) == 1, "the whole stroke may be one digit"
    assert len(read_number(as_array(image))) == 1, "by shape alone, it is"
    lefts = sorted(candidates.crops[k].box[0] for k in range(len(candidates.crops)))
    assert any(abs(x - 112) <= PEN for x in lefts), "but the right ring alone is a candidate"
