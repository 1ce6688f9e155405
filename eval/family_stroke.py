"""The ``stroke`` family: digits drawn with a mouse, finger or stylus in a paint program or HTML canvas.

A template from ``eval.strokes`` is bent by a smooth random displacement field, slanted, squashed
and rotated, then drawn with round caps and joints at a stroke width from hairline to very thick,
antialiased (canvas) or not (paint-program pencil). It is saved as black-on-white, white-on-black,
coloured, or on a transparent background (alpha), mostly as PNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from eval.compose import (
    Rendered,
    blend,
    canvas_size,
    colour_pair,
    coverage_of,
    place,
    shrink_to_fit,
    solid,
    to_image,
)
from eval.strokes import TEMPLATES, Stroke, Template

SIDES = (64, 800)  # px, canvas sides
STYLES = ("black-on-white", "white-on-black", "transparent-dark", "transparent-light", "coloured")
STYLE_WEIGHTS = (0.3, 0.25, 0.15, 0.1, 0.2)
Warp = Callable[[np.ndarray], np.ndarray]


def random_warp(rng: np.random.Generator, amplitude: float) -> Warp:
    """A smooth displacement of the unit box: a sum of three gentle sine waves per axis."""
    freq = rng.uniform(0.3, 1.2, (2, 3, 2))
    phase = rng.uniform(0, 2 * math.pi, (2, 3))
    amp = rng.uniform(0.3, 1.0, (2, 3)) * amplitude / 3

    def warp(points: np.ndarray) -> np.ndarray:
        angles = 2 * math.pi * points @ freq.transpose(0, 2, 1) + phase[:, None, :]
        return points + (amp[:, None, :] * np.sin(angles)).sum(axis=2).T

    return warp


def catmull_rom(points: np.ndarray, closed: bool, samples: int = 12) -> np.ndarray:
    """A smooth curve through ``points`` ``[N, 2]``, ``samples`` points per segment."""
    if closed:
        ctrl = np.concatenate([points[-1:], points, points[:2]])
    else:
        ctrl = np.concatenate([2 * points[:1] - points[1:2], points, 2 * points[-1:] - points[-2:-1]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    basis = [
        (-(t**3) + 2 * t**2 - t) / 2,
        (3 * t**3 - 5 * t**2 + 2) / 2,
        (-3 * t**3 + 4 * t**2 + t) / 2,
        (t**3 - t**2) / 2,
    ]
    parts = [sum(b * ctrl[i + k] for k, b in enumerate(basis)) for i in range(len(ctrl) - 3)]
    end = ctrl[-2:-1] if not closed else ctrl[1:2]
    return np.concatenate([*parts, end])


def trace(stroke: Stroke, warp: Warp, rng: np.random.Generator) -> np.ndarray:
    """The pen path of one stroke in unit coordinates, after warping and a little per-point wobble."""
    kind, raw = stroke
    points = warp(np.asarray(raw, dtype=np.float64))
    points = points + rng.normal(0, 0.01, points.shape)
    return points if kind == "line" else catmull_rom(points, closed=kind == "loop")


def pose(path: np.ndarray, aspect: float, slant: float, angle: float) -> np.ndarray:
    """Centre a unit-box path, squash it to ``aspect``, shear it by ``slant`` and rotate by ``angle``."""
    x, y = (path[:, 0] - 0.5) * aspect, path[:, 1] - 0.5
    x = x - slant * y
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([c * x - s * y, s * x + c * y], axis=1)


def draw(paths: list[np.ndarray], height: int, width: float, antialias: bool) -> Image.Image:
    """Draw posed paths scaled to ``height`` px with a round pen ``width`` px wide; return the mask."""
    scale = 4 if antialias else 1
    everything = np.concatenate(paths)
    lo, hi = everything.min(axis=0), everything.max(axis=0)
    unit = max(height - width, 1.0) / max(hi[1] - lo[1], 1e-6)
    pad = width / 2 + 2
    size = (math.ceil((hi[0] - lo[0]) * unit + 2 * pad), math.ceil((hi[1] - lo[1]) * unit + 2 * pad))
    mask = Image.new("L", (size[0] * scale, size[1] * scale), 0)
    pen = ImageDraw.Draw(mask)
    r = width * scale / 2
    for path in paths:
        pts = [(float(px), float(py)) for px, py in ((path - lo) * unit + pad) * scale]
        pen.line(pts, fill=255, width=max(1, round(width * scale)))
        if r >= 1:  # round caps and joints: a dab of the pen at every vertex
            for px, py in pts:
                pen.ellipse((px - r, py - r, px + r, py + r), fill=255)
    mask = mask.reduce(scale) if scale > 1 else mask
    return mask.crop(mask.getbbox() or (0, 0, *mask.size))


def sketch(
    rng: np.random.Generator, label: Hashable, templates: Mapping[Any, tuple[Template, ...]] = TEMPLATES
) -> tuple[list[np.ndarray], dict[str, object]]:
    """The pen paths of one way of writing ``label`` (a digit, or a key of other ``templates``), bent,
    squashed, slanted and rotated (unit scale)."""
    variants = templates[label]
    variant = int(rng.integers(len(variants)))
    warp = random_warp(rng, rng.uniform(0.02, 0.07))
    aspect, slant, angle = rng.uniform(0.5, 0.9), rng.uniform(-0.35, 0.35), math.radians(rng.uniform(-8, 8))
    paths = [pose(trace(s, warp, rng), aspect, slant, angle) for s in variants[variant]]
    return paths, {"variant": variant, "slant": round(slant, 2)}


def make_stroke(rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A hand-drawn digit on a 64-800 px canvas, stroke width 2.5-22 % of the digit height."""
    paths, drawn = sketch(rng, label)
    square = rng.random() < 0.6
    size = canvas_size(rng, *SIDES, max_side, aspect=(1.0, 1.0) if square else (0.7, 1.4))
    height = max(8, round(min(size) * rng.uniform(0.35, 0.9)))
    width = max(1.0, height * math.exp(rng.uniform(math.log(0.025), math.log(0.22))))
    antialias = bool(rng.random() < 0.7)
    glyph = draw(paths, height, width, antialias)
    glyph = shrink_to_fit(glyph, size, 0.95)
    params: dict[str, object] = {"variant": drawn["variant"], "digit_px": glyph.height}
    params |= {"pen_px": round(width, 1), "slant": drawn["slant"], "antialias": antialias}
    mask, fx, fy = place(glyph, size, rng)
    return paint(mask, rng, params, [fx, fy])


def paint(mask: Image.Image, rng: np.random.Generator, params: dict[str, object], offset: object) -> Rendered:
    """A drawing's canvas-sized ink mask as a paint program or canvas would export it, in one of
    ``STYLES``; ``offset`` (where the glyph was placed) goes into the params."""
    size = mask.size
    coverage = coverage_of(mask)
    style = STYLES[rng.choice(len(STYLES), p=STYLE_WEIGHTS)]
    params |= {"style": style, "offset": offset}
    if style.startswith("transparent"):
        ink = (255, 255, 255) if style == "transparent-light" else colour_pair(rng, True)[0]
        rgba = np.zeros((size[1], size[0], 4), dtype=np.uint8)
        rgba[coverage > 0, :3] = ink
        rgba[..., 3] = np.asarray(mask)
        return Rendered(Image.fromarray(rgba, "RGBA"), "PNG", None, params)
    if style == "coloured":
        ink, paper = colour_pair(rng, bool(rng.random() < 0.7))
    else:
        ink, paper = (
            ((0, 0, 0), (255, 255, 255)) if style == "black-on-white" else ((255, 255, 255), (0, 0, 0))
        )
    image = to_image(blend(coverage, solid(size, paper), ink))
    if rng.random() < 0.15:
        return Rendered(image, "JPEG", int(rng.integers(70, 96)), params)
    return Rendered(image, "PNG", None, params)
