"""Shared pieces of every family: random draws, placing an ink mask on a canvas, and blending colours.

An *ink mask* is a Pillow ``L`` image whose value is ink coverage (255 = fully inked), cropped to
the glyph. Families draw a mask, place it somewhere on a canvas and blend ink over a background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

Rgb = tuple[int, int, int]
Format = Literal["PNG", "JPEG"]


@dataclass
class Rendered:
    """One generated image before encoding: the picture, how to save it, and what was drawn."""

    image: Image.Image
    fmt: Format
    quality: int | None = None
    params: dict[str, object] = field(default_factory=dict)


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A number between ``lo`` and ``hi``, uniform in log space (sizes are felt in ratios)."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def canvas_size(
    rng: np.random.Generator, lo: int, hi: int, max_side: int | None, aspect: tuple[float, float]
) -> tuple[int, int]:
    """A (width, height) with both sides in ``[lo, min(hi, max_side)]`` and a random aspect ratio."""
    top = hi if max_side is None else max(min(hi, max_side), 8)
    bottom = min(lo, top)
    side = log_uniform(rng, bottom, top) if top > bottom else float(top)
    ratio = rng.uniform(*aspect)
    width, height = side * math.sqrt(ratio), side / math.sqrt(ratio)
    return int(np.clip(round(width), bottom, top)), int(np.clip(round(height), bottom, top))


def fit_height(mask: Image.Image, height: int, max_width: int) -> Image.Image:
    """Scale a glyph mask to ``height`` pixels tall (keeping its aspect), never wider than ``max_width``."""
    w, h = mask.size
    scale = min(height / h, max_width / w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return mask.resize(size, Image.Resampling.LANCZOS)


def shrink_to_fit(mask: Image.Image, size: tuple[int, int], fraction: float) -> Image.Image:
    """The glyph, scaled down only if needed to fit within ``fraction`` of the canvas on both axes."""
    room = (max(1, int(size[0] * fraction)), max(1, int(size[1] * fraction)))
    if mask.width <= room[0] and mask.height <= room[1]:
        return mask
    return fit_height(mask, min(mask.height, room[1]), max_width=room[0])


def place(
    mask: Image.Image, size: tuple[int, int], rng: np.random.Generator
) -> tuple[Image.Image, float, float]:
    """Paste a glyph at a random off-centre spot of a ``size`` canvas; return the mask and the offset.

    The offset is where the glyph centre landed, as a fraction of the free room on each axis
    (0 = flush left/top, 0.5 = centred, 1 = flush right/bottom).
    """
    canvas = Image.new("L", size, 0)
    room_x, room_y = max(size[0] - mask.width, 0), max(size[1] - mask.height, 0)
    fx, fy = float(rng.beta(2.0, 2.0)), float(rng.beta(2.0, 2.0))
    canvas.paste(mask, (round(room_x * fx), round(room_y * fy)))
    return canvas, round(fx, 2), round(fy, 2)


def blend(coverage: np.ndarray, background: np.ndarray, ink: np.ndarray | Rgb) -> np.ndarray:
    """Lay ink of the given colour over a float ``[H, W, 3]`` background, by coverage in ``[0, 1]``."""
    alpha = coverage[..., None]
    return background * (1.0 - alpha) + np.asarray(ink, dtype=np.float32) * alpha


def to_image(pixels: np.ndarray) -> Image.Image:
    """Round a float ``[H, W, 3]`` array to an RGB image, clipping to 0..255."""
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB")


def coverage_of(mask: Image.Image) -> np.ndarray:
    """A mask as float coverage in ``[0, 1]``."""
    return np.asarray(mask, dtype=np.float32) / 255.0


def solid(size: tuple[int, int], colour: Rgb) -> np.ndarray:
    """A float ``[H, W, 3]`` background of one colour."""
    return np.broadcast_to(np.asarray(colour, np.float32), (size[1], size[0], 3)).copy()


def linear_gradient(size: tuple[int, int], start: Rgb, end: Rgb, angle: float) -> np.ndarray:
    """A float ``[H, W, 3]`` background fading from ``start`` to ``end`` along ``angle`` (radians)."""
    fade = ramp(size, angle)[..., None]
    return np.asarray(start, np.float32) * (1 - fade) + np.asarray(end, np.float32) * fade


def smooth_noise(rng: np.random.Generator, size: tuple[int, int], cell: float) -> np.ndarray:
    """Low-frequency noise in about ``[-1, 1]``, shape ``[H, W]``, with blobs about ``cell`` px wide."""
    w, h = size
    coarse = rng.standard_normal((max(2, math.ceil(h / cell) + 1), max(2, math.ceil(w / cell) + 1)))
    img = Image.fromarray(coarse.astype(np.float32), "F").resize(size, Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 1.5


def ramp(size: tuple[int, int], angle: float) -> np.ndarray:
    """A ``[H, W]`` array rising from 0 to 1 across the canvas in the direction ``angle``."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    proj = xs * math.cos(angle) + ys * math.sin(angle)
    span = float(proj.max() - proj.min()) or 1.0
    return (proj - proj.min()) / span


DARK_INKS: tuple[Rgb, ...] = ((15, 15, 15), (45, 45, 50), (20, 30, 95), (110, 20, 25), (25, 70, 35))
LIGHT_PAPERS: tuple[Rgb, ...] = (
    (255, 255, 255),
    (245, 242, 232),
    (225, 225, 225),
    (250, 245, 200),
    (220, 235, 250),
)
LIGHT_INKS: tuple[Rgb, ...] = ((255, 255, 255), (250, 230, 90), (185, 240, 250), (215, 215, 215))
DARK_PAPERS: tuple[Rgb, ...] = ((0, 0, 0), (40, 40, 40), (15, 25, 60), (30, 60, 45))


def colour_pair(rng: np.random.Generator, dark_on_light: bool) -> tuple[Rgb, Rgb]:
    """An (ink, background) pair with clear contrast, each colour jittered a little."""
    inks, papers = (DARK_INKS, LIGHT_PAPERS) if dark_on_light else (LIGHT_INKS, DARK_PAPERS)
    return _jitter(rng, inks[rng.integers(len(inks))]), _jitter(rng, papers[rng.integers(len(papers))])


def _jitter(rng: np.random.Generator, colour: Rgb) -> Rgb:
    r, g, b = (int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in colour)
    return r, g, b
