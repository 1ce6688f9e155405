"""The ``thin`` family: digits written with a thin pen (1-3 px) on a large canvas (600-1600 px).

Half are the stroke templates of ``eval.strokes`` (bent and posed as in ``stroke``), half are MNIST
*test* digits redrawn along their centre-lines (``eval.skeleton``), so real handwriting shapes come
out as thin pen lines. Both are drawn with ``eval.family_stroke.draw`` and exported like ``stroke``
(black on white, white on black, coloured or transparent; mostly PNG).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from eval import skeleton
from eval.compose import Rendered, canvas_size, fit_height, place, shrink_to_fit
from eval.family_mnist import MnistPool
from eval.family_stroke import draw, paint, sketch

SIDES = (600, 1600)  # px, canvas sides
WORK_HEIGHT = 64  # px: MNIST digits are thinned at this height


def centre_lines(digit: np.ndarray) -> list[np.ndarray]:
    """The pen paths (x, y in pixels of a 64 px tall digit) along the centre of a 28x28 MNIST digit."""
    tile = Image.fromarray(digit, "L")
    tile = tile.crop(tile.getbbox() or (0, 0, 28, 28))
    ink = np.asarray(fit_height(tile, WORK_HEIGHT, WORK_HEIGHT)) > 100
    return skeleton.trace(skeleton.untangle(skeleton.thin(ink)))


def make_thin(pool: MnistPool, rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A thin-pen digit 20-70 % of a 600-1600 px canvas."""
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.7, 1.4))
    height = max(8, round(min(size) * rng.uniform(0.2, 0.7)))
    width = rng.uniform(1.0, 3.0)
    antialias = bool(rng.random() < 0.6)
    params: dict[str, object]
    if rng.random() < 0.5:
        paths, drawn = sketch(rng, label)
        params = {"source": "template", **drawn}
    else:
        index, digit = pool.pick(rng, label)
        paths = centre_lines(digit)
        params = {"source": "mnist", "mnist_test_index": index}
    glyph = shrink_to_fit(draw(paths, height, width, antialias), size, 0.95)
    params |= {"digit_px": glyph.height, "pen_px": round(width, 1), "antialias": antialias}
    mask, fx, fy = place(glyph, size, rng)
    return paint(mask, rng, params, [fx, fy])
