"""Pictures that are not one digit, framed like MNIST: what the model learns to be unsure of.

Outlier exposure (Hendrycks et al., 2019): besides the digits, the model sees a bank of non-digits
and is trained toward a uniform answer on them, so its confidence means "this is a digit I know".
The service then flags low-confidence answers as uncertain (service/inference/calibration.py).

The bank holds four kinds, each drawn with Pillow and framed as the service frames an upload (ink
cropped, longer side 20 px, centre of mass at the centre of 28x28):

- ``letter``: letters that no digit looks like, in Pillow's own font (not the DejaVu fonts that
  eval/nondigits.py uses), at random sizes, slants and weights;
- ``shape``: triangles, squares, stars, crosses, arrows and hearts, filled or outlined, one to three;
- ``number``: two or three MNIST *training* digits side by side (several digits are not one digit);
- ``texture``: thresholded smooth noise, stripes and checkerboards.

Letters that look like digits (O, I, l, S, Z, B, g, q, ...) and lone rings or bars (0 and 1) are left
out on purpose.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

KINDS = ("letter", "shape", "number", "texture")
LETTERS = "ACEFHKLMNPRTUVWXYacdefhkmnprtuvwxy"
CANVAS = 96  # px: every non-digit is drawn on a square canvas of this side, then framed
FRAME, BOX = 28, 20


def outlier_bank(count: int, seed: int, digits: np.ndarray) -> np.ndarray:
    """``uint8[count, 28, 28]`` non-digits, kinds in turn; ``digits`` are MNIST training images."""
    rng = np.random.default_rng(seed)
    makers = {"letter": _letter, "shape": _shapes, "texture": _texture}
    bank = np.zeros((count, FRAME, FRAME), dtype=np.uint8)
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        ink = _number(rng, digits) if kind == "number" else makers[kind](rng)
        bank[index] = np.round(frame(ink) * 255).astype(np.uint8)
    return bank


def frame(ink: np.ndarray) -> np.ndarray:
    """float ink in [0, 1] (light on dark) -> float32 ``[28, 28]``: cropped, longer side 20, centred."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    if rows.size == 0:
        return np.zeros((FRAME, FRAME), dtype=np.float32)
    patch = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    scale = BOX / max(patch.shape)
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    small = np.asarray(Image.fromarray(patch).resize(size, Image.Resampling.BOX), dtype=np.float32)
    out = np.zeros((FRAME, FRAME), dtype=np.float32)
    weights = small.sum()
    if weights <= 0:
        return out
    grid_rows, grid_cols = np.indices(small.shape)
    centre = ((grid_rows * small).sum() / weights, (grid_cols * small).sum() / weights)
    top = int(np.clip(round(14 - centre[0]), 0, FRAME - small.shape[0]))
    left = int(np.clip(round(14 - centre[1]), 0, FRAME - small.shape[1]))
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.clip(out / max(out.max(), 1e-6), 0.0, 1.0)


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    return image, ImageDraw.Draw(image)


def _unit(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def _letter(rng: np.random.Generator) -> np.ndarray:
    image, draw = _canvas()
    font = ImageFont.load_default(size=int(rng.integers(40, 80)))
    stroke = int(rng.integers(0, 4))
    draw.text((CANVAS / 2, CANVAS / 2), LETTERS[rng.integers(len(LETTERS))], fill=255, font=font,
              anchor="mm", stroke_width=stroke, stroke_fill=255)  # fmt: skip
    shear = float(rng.uniform(-0.3, 0.3))
    slanted = image.transform(image.size, Image.Transform.AFFINE, (1, shear, -shear * CANVAS / 2, 0, 1, 0))
    return _unit(slanted.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BILINEAR))


def _polygon(
    rng: np.random.Generator, centre: tuple[float, float], radius: float
) -> list[tuple[float, float]]:
    kind = rng.integers(6)
    cx, cy = centre
    if kind == 0:  # triangle
        angles = [-90, 30, 150]
        return [
            (cx + radius * math.cos(math.radians(a)), cy + radius * math.sin(math.radians(a))) for a in angles
        ]
    if kind == 1:  # square
        return [
            (cx - radius, cy - radius),
            (cx + radius, cy - radius),
            (cx + radius, cy + radius),
            (cx - radius, cy + radius),
        ]
    if kind == 2:  # five-pointed star
        points = []
        for i in range(10):
            r = radius if i % 2 == 0 else radius * 0.45
            a = math.radians(-90 + 36 * i)
            points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        return points
    if kind == 3:  # cross (plus sign)
        w = radius / 3
        return [(cx - w, cy - radius), (cx + w, cy - radius), (cx + w, cy - w), (cx + radius, cy - w),
                (cx + radius, cy + w), (cx + w, cy + w), (cx + w, cy + radius), (cx - w, cy + radius),
                (cx - w, cy + w), (cx - radius, cy + w), (cx - radius, cy - w), (cx - w, cy - w)]  # fmt: skip
    if kind == 4:  # arrow
        w = radius / 3
        return [(cx - radius, cy - w), (cx, cy - w), (cx, cy - radius), (cx + radius, cy), (cx, cy + radius),
                (cx, cy + w), (cx - radius, cy + w)]  # fmt: skip
    heart = []  # heart
    for t in np.linspace(0, 2 * math.pi, 24, endpoint=False):
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        heart.append((cx + radius * x / 17, cy - radius * y / 17))
    return heart


def _shapes(rng: np.random.Generator) -> np.ndarray:
    image, draw = _canvas()
    count = int(rng.integers(1, 4))
    for _ in range(count):
        radius = float(rng.uniform(14, 40)) / (1 + 0.4 * (count - 1))
        centre = (float(rng.uniform(radius, CANVAS - radius)), float(rng.uniform(radius, CANVAS - radius)))
        points = _polygon(rng, centre, radius)
        if rng.random() < 0.5:
            draw.polygon(points, fill=255)
        else:
            draw.polygon(points, outline=255, width=int(rng.integers(3, 9)))
    return _unit(image.rotate(float(rng.uniform(-30, 30)), resample=Image.Resampling.BILINEAR))


def _number(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    count = int(rng.integers(2, 4))
    picks = digits[rng.integers(len(digits), size=count)].astype(np.float32) / 255.0
    gap = int(rng.integers(-4, 3))  # slightly overlapping to slightly apart
    width = count * 28 + (count - 1) * gap
    row = np.zeros((28, max(width, 28)), dtype=np.float32)
    for i, digit in enumerate(picks):
        left = i * (28 + gap)
        row[:, left : left + 28] = np.maximum(row[:, left : left + 28], digit)
    return row


def _texture(rng: np.random.Generator) -> np.ndarray:
    kind = rng.integers(3)
    rows, cols = np.indices((CANVAS, CANVAS))
    if kind == 0:  # blobs: smooth noise, thresholded
        coarse = rng.random((int(rng.integers(4, 10)),) * 2).astype(np.float32)
        smooth = np.asarray(Image.fromarray(coarse).resize((CANVAS, CANVAS), Image.Resampling.BICUBIC))
        return (smooth > np.quantile(smooth, rng.uniform(0.4, 0.7))).astype(np.float32)
    if kind == 1:  # stripes at an angle
        angle = rng.uniform(0, math.pi)
        period = rng.uniform(6, 18)
        phase = (rows * math.sin(angle) + cols * math.cos(angle)) / period
        return ((phase % 1.0) < rng.uniform(0.3, 0.6)).astype(np.float32)
    cell = int(rng.integers(8, 24))  # checkerboard
    return (((rows // cell) + (cols // cell)) % 2).astype(np.float32)
