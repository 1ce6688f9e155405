"""The ``offcentre`` family: canvas drawings placed anywhere on a mostly empty canvas.

A stroke-template digit (as in ``stroke``) only 10-30 % of the canvas's shorter side tall, anywhere on
a 200-1000 px canvas; 40 % of them near a corner (within the outer tenth of the free room on both
axes). Exported like ``stroke``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from eval.compose import Rendered, canvas_size, log_uniform
from eval.family_stroke import draw, paint, sketch

SIDES = (200, 1000)  # px, canvas sides
CORNER_SHARE = 0.4


def make_offcentre(rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A small hand-drawn digit at a random spot of a large, empty canvas."""
    paths, drawn = sketch(rng, label)
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.6, 1.6))
    height = max(8, round(min(size) * rng.uniform(0.1, 0.3)))
    width = max(1.0, height * log_uniform(rng, 0.04, 0.2))
    antialias = bool(rng.random() < 0.7)
    glyph = draw(paths, height, width, antialias)
    corner = bool(rng.random() < CORNER_SHARE)
    fx, fy = (spot(rng, corner) for _ in range(2))
    mask = Image.new("L", size, 0)
    mask.paste(glyph, (round(max(size[0] - glyph.width, 0) * fx), round(max(size[1] - glyph.height, 0) * fy)))
    params: dict[str, object] = {**drawn, "digit_px": glyph.height, "pen_px": round(width, 1)}
    params |= {"antialias": antialias, "corner": corner, "share": round(glyph.height / min(size), 2)}
    return paint(mask, rng, params, [round(fx, 2), round(fy, 2)])


def spot(rng: np.random.Generator, corner: bool) -> float:
    """Where on one axis, as a fraction of the free room: anywhere, or within its outer tenth."""
    if not corner:
        return float(rng.uniform(0.0, 1.0))
    edge = float(rng.uniform(0.0, 0.1))
    return edge if rng.random() < 0.5 else 1.0 - edge
