"""Non-digit pictures with nothing drawn on them: the refusal cases (blank, uniform, noise, nearly
uniform) and textures (wood, fabric, stripes, checkerboards, gradients with blobs).

Every maker takes ``(rng, max_side)`` and returns a :class:`~eval.compose.Rendered` whose params say
what it drew. A tenth of the refusal cases are 28x28, the size of a model input.
"""

from __future__ import annotations

import math

import numpy as np

from eval.compose import Rendered, Rgb, canvas_size, ramp, smooth_noise, solid, to_image

SIDES = (28, 800)  # px, canvas sides
GAUSSIAN_SIGMAS = (6.0, 20.0, 60.0)  # grey levels: light, medium and heavy sensor noise
SALT_DENSITIES = (0.01, 0.05, 0.2)  # share of pixels flipped to black or white
TEXTURES = ("wood", "fabric", "stripes", "checkerboard", "blobs")


def size_of(rng: np.random.Generator, max_side: int | None) -> tuple[int, int]:
    """28x28 one time in ten, else a canvas of 28-800 px."""
    if rng.random() < 0.1:
        return 28, 28
    return canvas_size(rng, *SIDES, max_side, aspect=(0.6, 1.6))


def saved(pixels: np.ndarray, rng: np.random.Generator, params: dict[str, object]) -> Rendered:
    """A float ``[H, W, 3]`` picture as PNG (60 %) or JPEG at quality 60-95; greyscale when it is grey."""
    image = to_image(pixels)
    if np.ptp(pixels, axis=2).max() < 1e-6:
        image = image.convert("L")
    if rng.random() < 0.6:
        return Rendered(image, "PNG", None, params)
    return Rendered(image, "JPEG", int(rng.integers(60, 96)), params)


def make_blank(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """All white or all black."""
    size = size_of(rng, max_side)
    level = 255 if rng.random() < 0.5 else 0
    return saved(solid(size, (level, level, level)), rng, {"colour": "white" if level else "black"})


def make_uniform(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """One grey level (half the time) or one random colour."""
    size = size_of(rng, max_side)
    if rng.random() < 0.5:
        grey = int(rng.integers(20, 236))
        colour: Rgb = (grey, grey, grey)
    else:
        r, g, b = (int(v) for v in rng.integers(0, 256, 3))
        colour = (r, g, b)
    return saved(solid(size, colour), rng, {"colour": list(colour)})


def make_noise(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """Gaussian noise around a grey level, or salt-and-pepper on one, at one of three strengths."""
    size = size_of(rng, max_side)
    level = float(rng.uniform(40, 215))
    shape = (size[1], size[0], 1 if rng.random() < 0.6 else 3)
    if rng.random() < 0.5:
        sigma = GAUSSIAN_SIGMAS[rng.integers(len(GAUSSIAN_SIGMAS))]
        noise = level + rng.normal(0.0, sigma, shape)
        params: dict[str, object] = {"noise": "gaussian", "sigma": sigma}
    else:
        density = SALT_DENSITIES[rng.integers(len(SALT_DENSITIES))]
        flip = rng.random(shape[:2]) < density
        noise = np.where(flip, np.where(rng.random(shape[:2]) < 0.5, 0.0, 255.0), level)[..., None]
        params = {"noise": "salt-and-pepper", "density": density}
    pixels = np.broadcast_to(noise, (size[1], size[0], 3)).astype(np.float32)
    return saved(pixels, rng, {**params, "level": round(level)})


def make_low_contrast(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """Nearly uniform: a grey or tinted level with smooth variations of 1-4 levels and faint noise."""
    size = size_of(rng, max_side)
    level = float(rng.uniform(30, 225))
    tint = rng.uniform(-6, 6, 3)
    amplitude = float(rng.uniform(1.0, 4.0))
    drift = smooth_noise(rng, size, cell=max(size) / rng.uniform(2, 6)) * amplitude
    grain = rng.normal(0.0, rng.uniform(0.3, 1.2), (size[1], size[0]))
    pixels = (level + drift + grain)[..., None] + tint
    return saved(pixels.astype(np.float32), rng, {"level": round(level), "amplitude": round(amplitude, 1)})


def make_texture(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """One of ``TEXTURES``, filling a 64-800 px canvas."""
    size = canvas_size(rng, 64, SIDES[1], max_side, aspect=(0.6, 1.6))
    kind = TEXTURES[rng.integers(len(TEXTURES))]
    a, b = (rng.integers(0, 256, 3).astype(np.float32) for _ in range(2))
    mix = texture(kind, size, rng)
    pixels = a * (1 - mix[..., None]) + b * mix[..., None]
    return saved(pixels, rng, {"texture": kind})


def texture(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A ``[H, W]`` mix in ``[0, 1]`` between two colours, in the pattern ``kind``."""
    w, h = size
    angle = rng.uniform(0, math.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    along = xs * math.cos(angle) + ys * math.sin(angle)
    across = -xs * math.sin(angle) + ys * math.cos(angle)
    period = max(w, h) / rng.uniform(5, 30)
    if kind == "wood":  # rings bent by low-frequency noise, with fine grain
        bend = smooth_noise(rng, size, cell=max(size) / 3) * period * rng.uniform(1, 3)
        rings = 0.5 + 0.5 * np.sin(2 * math.pi * (across + bend) / period)
        return np.clip(rings**3 + 0.15 * smooth_noise(rng, size, cell=3), 0, 1)
    if kind == "fabric":  # a weave: threads one way, then the other
        warp = 0.5 + 0.5 * np.sin(2 * math.pi * along / max(3.0, period / 4))
        weft = 0.5 + 0.5 * np.sin(2 * math.pi * across / max(3.0, period / 4))
        return np.clip(0.5 * (warp * weft + 0.5) + 0.1 * rng.standard_normal((h, w)), 0, 1)
    if kind == "stripes":
        return (np.sin(2 * math.pi * along / period) > rng.uniform(-0.5, 0.5)).astype(np.float32)
    if kind == "checkerboard":
        return ((np.floor(along / period) + np.floor(across / period)) % 2).astype(np.float32)
    fade = ramp(size, rng.uniform(0, 2 * math.pi))  # blobs: a gradient with a few soft spots
    spots = np.zeros((h, w), dtype=np.float32)
    for _ in range(int(rng.integers(2, 7))):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.2) * max(w, h)
        spots += rng.uniform(0.3, 1.0) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
    return np.clip(0.6 * fade + spots, 0, 1)
