"""service.images.strokes: stroke widths measured right, and brought near MNIST's."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from service.images.strokes import MAX_WIDTH, normalise_width, stroke_width


def drawing(width: int, side: int = 400) -> np.ndarray:
    """A line and an arc drawn with a pen ``width`` px wide, cropped to the ink."""
    img = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(img)
    draw.line([(side // 8, side // 8), (7 * side // 8, 3 * side // 4)], fill=255, width=width)
    draw.arc([(side // 4, side // 4), (3 * side // 4, 3 * side // 4)], 0, 300, fill=255, width=width)
    ink = np.asarray(img) > 127
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


@pytest.mark.parametrize("width", [1, 3, 5, 8, 12, 20])
def test_stroke_width_measures_the_pen(width: int) -> None:
    assert stroke_width(drawing(width)) == pytest.approx(width, rel=0.1, abs=0.5)


def test_empty_shape_has_no_width() -> None:
    assert stroke_width(np.zeros((10, 10), dtype=bool)) == 0.0


def framed_width(patch: np.ndarray) -> float:
    """The stroke width the patch would have in the 28x28 frame (longer side 20 px)."""
    return stroke_width(patch > 0.5) * 20 / max(patch.shape)


def normalised(pen: int, side: int = 400) -> tuple[float, float]:
    """A drawing's stroke width in the frame before and after :func:`normalise_width`."""
    patch = drawing(pen, side).astype(np.float32)
    return framed_width(patch), framed_width(normalise_width(patch, 20))


def test_hairline_is_grown_to_mnist_width() -> None:
    before, after = normalised(2, side=1000)
    assert before < 0.1 and 2.0 <= after <= 2.6


def test_marker_is_thinned() -> None:
    before, after = normalised(90)
    assert before > 4.5 and after == pytest.approx(MAX_WIDTH, abs=0.4)


def test_mnist_like_width_is_left_alone() -> None:
    patch = drawing(40).astype(np.float32) * 0.9  # about 2.5 px in the frame, grey ink
    assert 1.75 < framed_width(patch) < 3.5
    assert normalise_width(patch, 20) is patch
