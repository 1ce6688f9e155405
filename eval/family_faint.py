"""The ``faint`` family: handwriting in faint or light ink, from MNIST *test* digits (as ``photo``).

Three kinds, equally often:

- ``ballpoint``: a flatbed scan of a blue ballpoint line (the digit's centre-line, ``eval.skeleton``)
  written with uneven pressure: a smooth random field makes some parts of the stroke 3-6 times
  lighter than others;
- ``pencil``: a scan of a grey graphite line at a quarter to a half of full strength, grainy, with
  gaps where the paper's tooth took no graphite;
- ``washed-out``: a phone photo (``eval.camera``) whose contrast is squeezed to 20-45 % and lifted
  towards white or grey, like an over-exposed or hazy shot.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from eval.camera import photograph
from eval.compose import (
    Rendered,
    Rgb,
    blend,
    canvas_size,
    coverage_of,
    place,
    shrink_to_fit,
    smooth_noise,
    solid,
    to_image,
)
from eval.family_mnist import MnistPool, ink_mask
from eval.family_stroke import draw
from eval.family_thin import centre_lines

SIDES = (100, 600)  # px, canvas sides
KINDS = ("ballpoint", "pencil", "washed-out")
BALLPOINT: Rgb = (35, 55, 150)


def make_faint(pool: MnistPool, rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A faintly written test digit: 100-600 px, scanned (PNG or JPEG) or photographed (JPEG)."""
    index, digit = pool.pick(rng, label)
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.75, 1.35))
    height = round(min(size) * rng.uniform(0.3, 0.75))
    kind = KINDS[rng.integers(len(KINDS))]
    first: dict[str, object] = {"mnist_test_index": index, "kind": kind}
    if kind == "washed-out":
        mask, edge = ink_mask(digit, height, round(0.85 * size[0]), rng)
        rendered = washed_out(photograph(mask, size, rng), rng)
        first |= {"digit_px": mask.height, "edge": edge}
    else:  # a pen or pencil line along the digit's centre, 2-6 % of its height wide
        pen = max(1.0, height * rng.uniform(0.02, 0.06))
        mask = shrink_to_fit(draw(centre_lines(digit), height, pen, antialias=True), size, 0.9)
        placed, fx, fy = place(mask, size, rng)
        strength = pressure(rng, size, mask.height) if kind == "ballpoint" else graphite(rng, size)
        rendered = faint_scan(coverage_of(placed) * strength, kind, rng)
        first |= {"digit_px": mask.height, "pen_px": round(pen, 1), "offset": [fx, fy]}
    rendered.params = {**first, **rendered.params}
    return rendered


def pressure(rng: np.random.Generator, size: tuple[int, int], digit_px: int) -> np.ndarray:
    """Ink strength ``[H, W]`` that drifts smoothly between light and full over about a third of the
    digit: where the writer pressed less, the ballpoint left a thin, pale line."""
    light, full = rng.uniform(0.15, 0.3), rng.uniform(0.8, 1.0)
    field = smooth_noise(rng, size, cell=max(4.0, digit_px / rng.uniform(2.0, 4.0)))
    return light + (full - light) * np.clip(0.5 + field, 0.0, 1.0)


def graphite(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Pencil strength ``[H, W]``: 25-55 % at best, grainy, with 10-35 % of the pixels left bare."""
    strength = rng.uniform(0.25, 0.55)
    grain = rng.uniform(0.35, 1.0, (size[1], size[0]))
    bare = rng.random((size[1], size[0])) < rng.uniform(0.1, 0.35)
    return np.where(bare, 0.0, strength * grain).astype(np.float32)


def faint_scan(coverage: np.ndarray, kind: str, rng: np.random.Generator) -> Rendered:
    """Ink of the given coverage on flat, light paper: blue for ballpoint, grey for pencil; greyscale
    or colour, PNG or JPEG."""
    h, w = coverage.shape
    paper = int(rng.integers(225, 253))
    grey = int(rng.integers(60, 110))
    ink = BALLPOINT if kind == "ballpoint" else (grey, grey, grey)
    page = blend(coverage, solid((w, h), (paper, paper, paper - 4)), ink)
    page += rng.normal(0.0, rng.uniform(0.5, 3.0), (h, w, 1))
    image = to_image(page)
    mode = "L" if rng.random() < 0.4 else "RGB"
    params: dict[str, object] = {"paper": paper, "ink": list(ink)}
    if rng.random() < 0.5:
        return Rendered(image.convert(mode), "PNG", None, params)
    return Rendered(image.convert(mode), "JPEG", int(rng.integers(70, 96)), params)


def washed_out(rendered: Rendered, rng: np.random.Generator) -> Rendered:
    """The photo with its contrast squeezed around its median and the median lifted: a hazy shot."""
    pixels = np.asarray(rendered.image, dtype=np.float32)
    contrast, level = rng.uniform(0.2, 0.45), rng.uniform(150.0, 235.0)
    image: Image.Image = to_image(level + (pixels - np.median(pixels)) * contrast)
    rendered.params |= {"contrast": round(contrast, 2), "level": round(level)}
    return Rendered(image, rendered.fmt, rendered.quality, rendered.params)
