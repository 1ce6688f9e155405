"""Photograph or scan an ink mask on paper: the look of a phone picture, or of a flatbed scan.

``photograph`` lays pen ink on textured (sometimes ruled) paper, tilts the camera (rotation and
perspective), lights the page unevenly with an optional soft shadow, defocuses, adds sensor noise
and saves a JPEG. ``scan`` is the clean cousin: flat grey paper, dark ink, a slight skew.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter

from eval.compose import Rendered, Rgb, blend, coverage_of, place, ramp, smooth_noise, solid, to_image

PAPERS: tuple[Rgb, ...] = ((240, 238, 232), (242, 234, 212), (228, 232, 238), (208, 206, 198))
PENS: dict[str, tuple[Rgb, float, float]] = {  # name: colour, lowest and highest ink strength
    "ballpoint-blue": ((35, 55, 145), 0.75, 1.0),
    "ballpoint-black": ((30, 30, 35), 0.8, 1.0),
    "marker": ((15, 15, 20), 0.95, 1.0),
    "pencil": ((80, 80, 88), 0.55, 0.8),
}


def photograph(
    glyph: Image.Image, size: tuple[int, int], rng: np.random.Generator, pens: Sequence[str] = tuple(PENS)
) -> Rendered:
    """A phone photo of ``glyph`` (an ink mask) written on paper with one of ``pens``, ``size`` pixels,
    JPEG-encoded."""
    pad = round(0.25 * max(size))
    big = (size[0] + 2 * pad, size[1] + 2 * pad)
    coverage, fx, fy = _placed_with_margin(glyph, size, pad, rng)
    paper, ruling = _paper(rng, big)
    pen = pens[int(rng.integers(len(pens)))]
    colour, lo, hi = PENS[pen]
    strength = rng.uniform(lo, hi)
    page = to_image(blend(coverage * strength, paper, colour))
    shot, tilt = _tilt(page, size, pad, rng)
    lit, light = _light(np.asarray(shot, dtype=np.float32), rng)
    blur = rng.uniform(0.0, 1.3) * max(size) / 300
    pixels = np.asarray(to_image(lit).filter(ImageFilter.GaussianBlur(blur)), dtype=np.float32)
    noise = rng.uniform(1.5, 9.0)
    pixels += rng.normal(0.0, noise, pixels.shape[:2]).astype(np.float32)[..., None]
    quality = int(rng.integers(30, 96))
    params = {"pen": pen, "ink": round(strength, 2), "paper": ruling, "offset": [fx, fy], **tilt, **light}
    params |= {"blur": round(blur, 2), "noise": round(noise, 1)}
    return Rendered(to_image(pixels), "JPEG", quality, params)


def scan(glyph: Image.Image, size: tuple[int, int], rng: np.random.Generator) -> Rendered:
    """A flatbed scan of ``glyph``: grey paper, near-black ink, slight skew; greyscale, colour or 1-bit."""
    coverage, fx, fy = _placed_with_margin(glyph, size, 0, rng)
    grey = int(rng.integers(196, 250))
    ink = int(rng.integers(5, 45))
    page = to_image(blend(coverage, solid(size, (grey, grey, grey)), (ink, ink, ink)))
    skew = rng.uniform(-3.0, 3.0)
    page = page.rotate(skew, Image.Resampling.BICUBIC, fillcolor=(grey, grey, grey))
    noise = rng.normal(0.0, rng.uniform(0.5, 3.0), (size[1], size[0], 1))
    image = to_image(np.asarray(page, dtype=np.float32) + noise)
    mode = ("L", "RGB", "1")[rng.choice(3, p=[0.5, 0.3, 0.2])]
    params: dict[str, object] = {"paper": grey, "ink": ink, "skew": round(skew, 1), "offset": [fx, fy]}
    if mode == "1":  # a bilevel scan: threshold half-way between paper and ink
        cut = (grey + ink) // 2
        return Rendered(
            image.convert("L").point(lambda v: 255 if v > cut else 0).convert("1"), "PNG", None, params
        )
    if rng.random() < 0.5:
        return Rendered(image.convert(mode), "PNG", None, params)
    return Rendered(image.convert(mode), "JPEG", int(rng.integers(75, 96)), params)


def _placed_with_margin(
    glyph: Image.Image, size: tuple[int, int], pad: int, rng: np.random.Generator
) -> tuple[np.ndarray, float, float]:
    """Coverage ``[H + 2 pad, W + 2 pad]`` with the glyph inside the central ``size`` frame, off-centre."""
    margin = round(0.06 * min(size))
    inner = (max(size[0] - 2 * margin, glyph.width), max(size[1] - 2 * margin, glyph.height))
    placed, fx, fy = place(glyph, inner, rng)
    full = Image.new("L", (size[0] + 2 * pad, size[1] + 2 * pad), 0)
    full.paste(placed, (pad + (size[0] - inner[0]) // 2, pad + (size[1] - inner[1]) // 2))
    return coverage_of(full), fx, fy


def _paper(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, str]:
    """Textured paper in one of a few tints; a fifth of it ruled, a tenth squared."""
    base = solid(size, PAPERS[rng.integers(len(PAPERS))])
    texture = smooth_noise(rng, size, cell=max(size) / rng.uniform(4, 12)) * rng.uniform(2.0, 7.0)
    paper = base + texture[..., None]
    kind = ("plain", "ruled", "squared")[rng.choice(3, p=[0.7, 0.2, 0.1])]
    if kind == "plain":
        return paper, kind
    step = max(size) * rng.uniform(0.06, 0.11)
    lines = _lines(size, step, kind == "squared", width=max(1.0, max(size) / 400))
    return blend(lines * rng.uniform(0.25, 0.5), paper, (120, 150, 210)), kind


def _lines(size: tuple[int, int], step: float, squared: bool, width: float) -> np.ndarray:
    """Coverage of horizontal (and, for squared paper, vertical) rules every ``step`` pixels."""
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    near = np.abs(((ys + step / 2) % step) - step / 2) < width
    if squared:
        near |= np.abs(((xs + step / 2) % step) - step / 2) < width
    return near.astype(np.float32)


def _tilt(
    page: Image.Image, size: tuple[int, int], pad: int, rng: np.random.Generator
) -> tuple[Image.Image, dict[str, object]]:
    """View the page's central ``size`` frame through a slightly rotated, off-axis camera."""
    angle = math.radians(rng.uniform(-8.0, 8.0))
    w, h = size
    cx, cy = pad + w / 2, pad + h / 2
    corners = np.array([(0, 0), (w, 0), (w, h), (0, h)], dtype=np.float64)
    rel = corners - (w / 2, h / 2)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    source = rel @ rot.T + (cx, cy) + rng.uniform(-0.05, 0.05, (4, 2)) * (w, h)
    coeffs = _perspective_coeffs(corners, source)
    shot = page.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    return shot, {"rotation": round(math.degrees(angle), 1)}


def _perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> tuple[float, ...]:
    """The 8 coefficients Pillow's PERSPECTIVE transform needs to map output ``dst`` to input ``src``."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows), src.reshape(-1))
    return tuple(float(c) for c in solution)


def _light(pixels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, object]]:
    """Uneven exposure: a brightness ramp, a colour cast and, sometimes, a soft shadow across the page."""
    h, w = pixels.shape[:2]
    depth = rng.uniform(0.0, 0.4)
    gain = rng.uniform(0.8, 1.08) * (1.0 - depth * ramp((w, h), rng.uniform(0, 2 * math.pi)))
    shadow = 0.0
    if rng.random() < 0.35:
        shadow = rng.uniform(0.2, 0.45)
        edge = ramp((w, h), rng.uniform(0, 2 * math.pi)) - rng.uniform(0.3, 0.7)
        gain = gain * (1.0 - shadow / (1.0 + np.exp(-edge * rng.uniform(8, 30))))
    cast = rng.uniform(0.9, 1.05, 3).astype(np.float32)
    return pixels * gain[..., None] * cast, {"gradient": round(depth, 2), "shadow": round(shadow, 2)}
