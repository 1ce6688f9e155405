"""Non-digit pictures of writing: single letters and numbers of 2-4 digits, printed and handwritten.

Letters are those that do not pass for a digit (no O, I, l, S, Z, B, b, g, q...): printed in every
usable font (``eval.family_font``), upper or lower case, or drawn with a pen from the letter
templates below (``eval.family_stroke``). Numbers are printed, or written with 2-4 MNIST *test*
digits side by side, then scanned, photographed (``eval.camera``) or exported as a canvas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from eval.camera import photograph, scan
from eval.compose import Rendered, canvas_size, place, shrink_to_fit
from eval.family_font import render_text, screen_graphic
from eval.family_mnist import MnistPool, ink_mask
from eval.family_stroke import draw, paint, sketch
from eval.strokes import Template

LETTERS = "AEFHKMNRWXYaefhkmnrwxy"
SIDES = (48, 800)  # px, canvas sides
LETTER_TEMPLATES: dict[str, tuple[Template, ...]] = {  # pen strokes in a unit box, as eval/strokes.py
    "A": ((("line", ((0.0, 1.0), (0.5, 0.0), (1.0, 1.0))), ("line", ((0.22, 0.6), (0.78, 0.6)))),),
    "E": ((("line", ((0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0))), ("line", ((0.1, 0.5), (0.7, 0.5)))),),
    "F": ((("line", ((0.9, 0.0), (0.1, 0.0), (0.1, 1.0))), ("line", ((0.1, 0.5), (0.7, 0.5)))),),
    "H": (
        (
            ("line", ((0.1, 0.0), (0.1, 1.0))),
            ("line", ((0.9, 0.0), (0.9, 1.0))),
            ("line", ((0.1, 0.5), (0.9, 0.5))),
        ),
    ),
    "K": ((("line", ((0.15, 0.0), (0.15, 1.0))), ("line", ((0.85, 0.0), (0.15, 0.55), (0.85, 1.0)))),),
    "M": ((("line", ((0.0, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (1.0, 1.0))),),),
    "N": ((("line", ((0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0))),),),
    "W": ((("line", ((0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0))),),),
    "X": ((("line", ((0.0, 0.0), (1.0, 1.0))), ("line", ((1.0, 0.0), (0.0, 1.0)))),),
    "Y": ((("line", ((0.0, 0.0), (0.5, 0.5), (1.0, 0.0))), ("line", ((0.5, 0.5), (0.5, 1.0)))),),
}


def make_letter(fonts: list[Path], rng: np.random.Generator, max_side: int | None) -> Rendered:
    """A printed letter in a random font (60 %), or one drawn with a pen on a canvas."""
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.7, 1.4))
    height = max(10, round(min(size) * rng.uniform(0.3, 0.8)))
    if rng.random() < 0.6:
        letter, path = LETTERS[rng.integers(len(LETTERS))], fonts[rng.integers(len(fonts))]
        bold = 0.0 if rng.random() < 0.6 else rng.uniform(0.01, 0.06)
        glyph = shrink_to_fit(render_text(path, letter, height, bold, rng.uniform(-10, 10)), size, 0.92)
        return screen_graphic(glyph, size, rng, {"letter": letter, "font": path.stem, "printed": True})
    letter = list(LETTER_TEMPLATES)[rng.integers(len(LETTER_TEMPLATES))]
    paths, drawn = sketch(rng, letter, LETTER_TEMPLATES)
    width = max(1.0, height * rng.uniform(0.03, 0.15))
    glyph = shrink_to_fit(draw(paths, height, width, antialias=bool(rng.random() < 0.7)), size, 0.95)
    mask, fx, fy = place(glyph, size, rng)
    params = {"letter": letter, "printed": False, **drawn, "pen_px": round(width, 1)}
    return paint(mask, rng, params, [fx, fy])


def make_number(
    fonts: list[Path], pool: MnistPool, rng: np.random.Generator, max_side: int | None
) -> Rendered:
    """A number of 2-4 digits: printed (half), or handwritten with MNIST test digits."""
    digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(2, 5)))]
    text = "".join(map(str, digits))
    size = canvas_size(rng, 64, SIDES[1], max_side, aspect=(1.2, 2.5))
    height = max(10, round(min(size) * rng.uniform(0.3, 0.7)))
    if rng.random() < 0.5:
        path = fonts[rng.integers(len(fonts))]
        glyph = shrink_to_fit(render_text(path, text, height, 0.0, rng.uniform(-6, 6)), size, 0.92)
        return screen_graphic(glyph, size, rng, {"number": text, "font": path.stem, "printed": True})
    glyph, indices = _handwritten(pool, digits, height, rng)
    glyph = shrink_to_fit(glyph, size, 0.9)
    params: dict[str, object] = {"number": text, "printed": False, "mnist_test_indices": indices}
    medium = ("scan", "photo", "canvas")[rng.integers(3)]
    if medium == "canvas":
        mask, fx, fy = place(glyph, size, rng)
        return paint(mask, rng, {**params, "medium": medium}, [fx, fy])
    rendered = (scan if medium == "scan" else photograph)(glyph, size, rng)
    rendered.params = {**params, "medium": medium, **rendered.params}
    return rendered


def _handwritten(
    pool: MnistPool, digits: list[int], height: int, rng: np.random.Generator
) -> tuple[Image.Image, list[int]]:
    """MNIST test digits of ``digits`` as ink masks ``height`` px tall, side by side with small gaps."""
    masks, indices = [], []
    for digit in digits:
        index, pixels = pool.pick(rng, digit)
        masks.append(ink_mask(pixels, height, 4 * height, rng)[0])
        indices.append(index)
    gaps = [round(height * rng.uniform(-0.05, 0.2)) for _ in masks[1:]]
    width = sum(m.width for m in masks) + sum(gaps)
    line = Image.new("L", (max(width, 1), max(m.height for m in masks)), 0)
    x = 0
    for mask, gap in zip(masks, [*gaps, 0], strict=True):
        line.paste(255, (x, line.height - mask.height), mask)
        x += mask.width + gap
    return line, indices
