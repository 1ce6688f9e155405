"""Non-digit pictures of shapes: triangles, squares, stars, crosses, arrows and hearts, filled or
outlined, one or several in a picture, as screen graphics or drawings.

A lone ring and a lone straight bar are left out on purpose: people read them as 0 and 1.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from eval.compose import Rendered, canvas_size
from eval.family_font import screen_graphic

SHAPES = ("triangle", "square", "star", "cross", "arrow", "heart")
SIDES = (48, 800)  # px, canvas sides
Point = tuple[float, float]


def outline(shape: str) -> list[Point]:
    """The shape's corners in a unit box centred on 0 (y down), before rotation."""
    if shape == "triangle":
        return [(0.0, -0.5), (0.5, 0.4), (-0.5, 0.4)]
    if shape == "square":
        return [(-0.45, -0.45), (0.45, -0.45), (0.45, 0.45), (-0.45, 0.45)]
    if shape == "star":
        return [_polar(0.5 if k % 2 == 0 else 0.2, k * math.pi / 5) for k in range(10)]
    if shape == "cross":
        a, b = 0.5, 0.16
        return [
            (-b, -a),
            (b, -a),
            (b, -b),
            (a, -b),
            (a, b),
            (b, b),
            (b, a),
            (-b, a),
            (-b, b),
            (-a, b),
            (-a, -b),
            (-b, -b),
        ]
    if shape == "arrow":
        return [(-0.5, -0.1), (0.1, -0.1), (0.1, -0.3), (0.5, 0.0), (0.1, 0.3), (0.1, 0.1), (-0.5, 0.1)]
    ts = np.linspace(0, 2 * math.pi, 48, endpoint=False)  # heart
    xs, ys = (
        16 * np.sin(ts) ** 3,
        -(13 * np.cos(ts) - 5 * np.cos(2 * ts) - 2 * np.cos(3 * ts) - np.cos(4 * ts)),
    )
    return [(float(x) / 34, float(y) / 34 + 0.05) for x, y in zip(xs, ys, strict=True)]


def _polar(r: float, angle: float) -> Point:
    return r * math.sin(angle), -r * math.cos(angle)


def make_shapes(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """One shape (60 %) or 2-5 shapes, each filled or outlined, coloured on a plain or busy background."""
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.6, 1.6))
    count = 1 if rng.random() < 0.6 else int(rng.integers(2, 6))
    mask = Image.new("L", size, 0)
    pen = ImageDraw.Draw(mask)
    drawn = []
    for _ in range(count):
        shape = SHAPES[rng.integers(len(SHAPES))]
        radius = min(size) * (rng.uniform(0.25, 0.45) if count == 1 else rng.uniform(0.1, 0.25))
        centre = (rng.uniform(radius, size[0] - radius), rng.uniform(radius, size[1] - radius))
        points = _posed(outline(shape), centre, 2 * radius, rng.uniform(0, 2 * math.pi))
        filled = bool(rng.random() < 0.5)
        if filled:
            pen.polygon(points, fill=255)
        else:
            pen.line(
                [*points, points[0]],
                fill=255,
                width=max(1, round(radius * rng.uniform(0.04, 0.15))),
                joint="curve",
            )
        drawn.append(f"{'filled' if filled else 'outlined'} {shape}")
    glyph = mask.crop(mask.getbbox() or (0, 0, *size))
    return screen_graphic(glyph, size, rng, {"shapes": drawn})


def _posed(points: list[Point], centre: tuple[float, float], scale: float, angle: float) -> list[Point]:
    c, s = math.cos(angle), math.sin(angle)
    return [(centre[0] + scale * (c * x - s * y), centre[1] + scale * (s * x + c * y)) for x, y in points]
