"""Non-digit "photos of objects": a mug, a ball or a key on a table, shaded, with clutter behind.

Drawn with Pillow and numpy: a table and wall split at a random height, a few out-of-focus shapes
as clutter, the object lit from one side (a cylinder for the mug, a sphere for the ball, flat metal
for the key) with a soft shadow, then defocus, sensor noise and JPEG, like the ``photo`` camera.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from eval.compose import Rendered, canvas_size, linear_gradient, smooth_noise, to_image

OBJECTS = ("mug", "ball", "key")
SIDES = (100, 800)  # px, canvas sides


def make_object(rng: np.random.Generator, max_side: int | None) -> Rendered:
    """A photo of one object on a cluttered table: 100-800 px, JPEG."""
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.7, 1.5))
    w, h = size
    scene = _room(rng, size)
    thing = OBJECTS[rng.integers(len(OBJECTS))]
    r = min(size) * rng.uniform(0.2, 0.35)
    cx, cy = rng.uniform(0.35, 0.65) * w, rng.uniform(0.4, 0.65) * h
    _shadow(scene, (cx + 0.2 * r, cy + 0.9 * r), r, rng)
    colour = rng.integers(30, 230, 3).astype(np.float32)
    if thing == "ball":
        _ball(scene, (cx, cy), r, colour)
    elif thing == "mug":
        _mug(scene, (cx, cy), r, colour)
    else:
        _key(scene, (cx, cy), r, rng)
    image = to_image(scene).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * max(size) / 300))
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0.0, rng.uniform(1.5, 6.0), (h, w, 1))
    return Rendered(to_image(pixels), "JPEG", int(rng.integers(50, 95)), {"object": thing})


def _room(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A wall above a table, each a soft gradient with texture, and 3-7 blurred shapes of clutter."""
    w, h = size
    wall = linear_gradient(size, _tone(rng), _tone(rng), rng.uniform(0, 2 * math.pi))
    table = linear_gradient(size, _tone(rng), _tone(rng), math.pi / 2)
    split = int(h * rng.uniform(0.15, 0.45))
    scene = (
        np.concatenate([wall[:split], table[split:]]) + smooth_noise(rng, size, max(size) / 8)[..., None] * 6
    )
    clutter = Image.new("L", size, 0)
    pen = ImageDraw.Draw(clutter)
    colours = []
    for k in range(int(rng.integers(3, 8))):
        x, y = rng.uniform(-0.1, 1.0) * w, rng.uniform(-0.1, 0.5) * h
        box = (x, y, x + rng.uniform(0.08, 0.3) * w, y + rng.uniform(0.08, 0.3) * h)
        (pen.rectangle if rng.random() < 0.5 else pen.ellipse)(box, fill=k + 1)
        colours.append(_tone(rng))
    labels = np.asarray(clutter.filter(ImageFilter.ModeFilter(3)))
    for k, colour in enumerate(colours):
        scene[labels == k + 1] = colour
    return np.asarray(to_image(scene).filter(ImageFilter.GaussianBlur(max(size) / 150)), dtype=np.float32)


def _tone(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(60, 235, 3))
    return r, g, b


def _disk(size: tuple[int, int], centre: tuple[float, float], rx: float, ry: float) -> np.ndarray:
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    return np.asarray(((xs - centre[0]) / rx) ** 2 + ((ys - centre[1]) / ry) ** 2)


def _paint(scene: np.ndarray, inside: np.ndarray, colour: np.ndarray, light: np.ndarray) -> None:
    scene[inside] = np.clip(colour * light[inside][:, None], 0, 255)


def _shadow(scene: np.ndarray, centre: tuple[float, float], r: float, rng: np.random.Generator) -> None:
    d = _disk((scene.shape[1], scene.shape[0]), centre, 1.1 * r, 0.3 * r)
    scene *= (1.0 - rng.uniform(0.25, 0.5) * np.exp(-(d**2)))[..., None]


def _ball(scene: np.ndarray, centre: tuple[float, float], r: float, colour: np.ndarray) -> None:
    """A sphere lit from the upper left, with a highlight."""
    d = _disk((scene.shape[1], scene.shape[0]), centre, r, r)
    ys, xs = np.mgrid[0 : scene.shape[0], 0 : scene.shape[1]].astype(np.float32)
    nz = np.sqrt(np.clip(1 - d, 0, 1))
    lambert = np.clip((-(xs - centre[0]) / r * 0.5 - (ys - centre[1]) / r * 0.5 + nz * 0.7), 0, 1)
    _paint(scene, d <= 1, colour, 0.25 + 0.85 * lambert + 0.6 * lambert**20)


def _mug(scene: np.ndarray, centre: tuple[float, float], r: float, colour: np.ndarray) -> None:
    """A cylinder with a rim and a handle, shaded across its width."""
    size = (scene.shape[1], scene.shape[0])
    cx, cy = centre
    xs = np.mgrid[0 : size[1], 0 : size[0]][1].astype(np.float32)
    handle = _disk(size, (cx + 0.75 * r, cy), 0.45 * r, 0.5 * r)
    _paint(scene, (handle <= 1) & (handle >= 0.45), colour, np.full(xs.shape, 0.7, np.float32))
    ys = np.mgrid[0 : size[1], 0 : size[0]][0].astype(np.float32)
    body = (np.abs(xs - cx) <= 0.7 * r) & (np.abs(ys - cy) <= 0.9 * r)
    body |= _disk(size, (cx, cy + 0.9 * r), 0.7 * r, 0.18 * r) <= 1
    across = np.clip((xs - cx) / (0.7 * r), -1, 1)
    _paint(scene, body, colour, 0.45 + 0.65 * np.cos(across * math.pi / 2 - 0.5))
    _paint(
        scene,
        _disk(size, (cx, cy - 0.9 * r), 0.7 * r, 0.18 * r) <= 1,
        colour,
        np.full(xs.shape, 0.35, np.float32),
    )


def _key(scene: np.ndarray, centre: tuple[float, float], r: float, rng: np.random.Generator) -> None:
    """A brass or steel key: a ring head with a hole, a shaft and teeth, flat-shaded along its length."""
    mask = Image.new("L", (scene.shape[1], scene.shape[0]), 0)
    pen = ImageDraw.Draw(mask)
    angle = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(angle), math.sin(angle)

    def at(u: float, v: float) -> tuple[float, float]:
        return centre[0] + r * (c * u - s * v), centre[1] + r * (s * u + c * v)

    hx, hy = at(-0.6, 0)
    pen.ellipse((hx - 0.4 * r, hy - 0.4 * r, hx + 0.4 * r, hy + 0.4 * r), fill=255)
    pen.polygon([at(-0.3, -0.08), at(0.9, -0.08), at(0.9, 0.08), at(-0.3, 0.08)], fill=255)
    for u in (0.45, 0.62, 0.8):
        pen.polygon([at(u, 0.05), at(u + 0.1, 0.05), at(u + 0.1, 0.25), at(u, 0.25)], fill=255)
    pen.ellipse((hx - 0.15 * r, hy - 0.15 * r, hx + 0.15 * r, hy + 0.15 * r), fill=0)
    metal = np.array([200, 170, 80] if angle < math.pi else [175, 178, 185], dtype=np.float32)
    shade = 0.6 + 0.5 * smooth_noise(rng, mask.size, r) ** 2
    _paint(scene, np.asarray(mask) > 127, metal, shade.astype(np.float32))
