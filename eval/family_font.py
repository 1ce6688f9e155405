"""The ``font`` family: printed digits, as screenshots, exported graphics or photos of a printout.

Every TrueType font under the font folder that draws ten distinct digits is used, at many sizes,
with optional faux-bold, a small rotation, off-centre placement, dark-on-light or light-on-dark
colours over solid, gradient or noisy backgrounds. A quarter are printed and photographed instead.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from eval.camera import photograph
from eval.compose import (
    Rendered,
    blend,
    canvas_size,
    colour_pair,
    coverage_of,
    linear_gradient,
    place,
    shrink_to_fit,
    smooth_noise,
    solid,
    to_image,
)

DEFAULT_FONT_DIR = Path("/usr/share/fonts")
SIDES = (40, 800)  # px, canvas sides of on-screen digits
PRINTED_SIDES = (100, 600)  # px, canvas sides of photographed printouts


def find_fonts(font_dir: Path) -> list[Path]:
    """The TrueType fonts under ``font_dir`` (sorted, for determinism) whose ten digits all differ."""
    return [path for path in sorted(font_dir.rglob("*.ttf")) if _has_digits(path)]


def _has_digits(path: Path) -> bool:
    try:
        font = ImageFont.truetype(str(path), 40)
    except OSError:
        return False
    glyphs = {glyph_mask(font, str(d), 0).tobytes() for d in range(10)}
    return len(glyphs) == 10


def glyph_mask(font: ImageFont.FreeTypeFont, text: str, bold: int) -> Image.Image:
    """The ink mask of ``text`` in ``font``, thickened by ``bold`` px, cropped to its ink."""
    left, top, right, bottom = (round(v) for v in font.getbbox(text, stroke_width=bold))
    pad = 2 + bold
    mask = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(mask).text(
        (pad - left, pad - top), text, fill=255, font=font, stroke_width=bold, stroke_fill=255
    )
    return mask.crop(mask.getbbox() or (0, 0, mask.width, mask.height))


def render_digit(path: Path, label: int, height: int, bold_ratio: float, angle: float) -> Image.Image:
    """Digit ``label`` in the font at ``path``, about ``height`` px tall, thickened and rotated."""
    return render_text(path, str(label), height, bold_ratio, angle)


def render_text(path: Path, text: str, height: int, bold_ratio: float, angle: float) -> Image.Image:
    """``text`` in the font at ``path``, about ``height`` px tall, thickened and rotated: an ink mask."""
    probe = glyph_mask(ImageFont.truetype(str(path), 100), text, 0)
    size = max(6, round(100 * height / max(probe.height, 1)))
    font = ImageFont.truetype(str(path), size)
    glyph = glyph_mask(font, text, round(size * bold_ratio))
    return glyph.rotate(angle, Image.Resampling.BICUBIC, expand=True)


def make_font(fonts: list[Path], rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A printed digit, digit 25-80 % of the canvas height: on screen (40-800 px canvas, PNG or JPEG)
    or, one time in four, printed on paper and photographed (100-600 px, JPEG)."""
    path = fonts[rng.integers(len(fonts))]
    printed = bool(rng.random() < 0.25)
    lo, hi = PRINTED_SIDES if printed else SIDES
    size = canvas_size(rng, lo, hi, max_side, aspect=(0.6, 1.6))
    height = max(10, round(min(size) * rng.uniform(0.25, 0.8)))
    bold = 0.0 if rng.random() < 0.6 else rng.uniform(0.01, 0.07)
    angle = rng.uniform(-10.0, 10.0)
    glyph = shrink_to_fit(render_digit(path, label, height, bold, angle), size, 0.92)
    params: dict[str, object] = {"font": path.stem, "digit_px": glyph.height, "bold": round(bold, 3)}
    params |= {"angle": round(angle, 1), "printed": printed}
    if printed:
        rendered = photograph(glyph, size, rng)
        rendered.params = {**params, **rendered.params}
        return rendered
    return screen_graphic(glyph, size, rng, params)


def screen_graphic(
    glyph: Image.Image, size: tuple[int, int], rng: np.random.Generator, params: dict[str, object]
) -> Rendered:
    """An ink mask as a screen graphic: placed off-centre, coloured, saved as PNG or JPEG."""
    coverage, fx, fy = place(glyph, size, rng)
    dark_on_light = bool(rng.random() < 0.65)
    ink, paper = colour_pair(rng, dark_on_light)
    kind = ("solid", "gradient", "noisy")[rng.choice(3, p=[0.6, 0.25, 0.15])]
    background = _background(kind, size, paper, rng)
    image = to_image(blend(coverage_of(coverage), background, ink))
    params |= {"polarity": "dark-on-light" if dark_on_light else "light-on-dark", "background": kind}
    params |= {"offset": [fx, fy]}
    if rng.random() < 0.5:
        return Rendered(image, "PNG", None, params)
    return Rendered(image, "JPEG", int(rng.integers(40, 96)), params)


def _background(
    kind: str, size: tuple[int, int], paper: tuple[int, int, int], rng: np.random.Generator
) -> np.ndarray:
    """A solid colour, a gentle two-tone gradient, or blotchy noise around ``paper``."""
    if kind == "solid":
        return solid(size, paper)
    if kind == "gradient":
        shift = rng.integers(-45, 46)
        end = tuple(int(np.clip(c + shift, 0, 255)) for c in paper)
        return linear_gradient(size, paper, (end[0], end[1], end[2]), rng.uniform(0, 2 * math.pi))
    blotches = smooth_noise(rng, size, cell=max(size) / rng.uniform(3, 10)) * rng.uniform(6, 18)
    return solid(size, paper) + blotches[..., None]
