"""Show a number's ink mask as a picture: a phone photo, a scan, a canvas export or a screen graphic.

Handwriting from MNIST is photographed or scanned; stroke drawings are exported as a canvas or paint
program would (``eval.family_stroke.paint``) or photographed; printed digits are screen graphics
(``eval.family_font.screen_graphic``) or photographed printouts. Half of each, by chance. The canvas
leaves room around the number, more for photos, whose camera turns the page by up to 8 degrees.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from eval.camera import photograph, scan
from eval.compose import Rendered, place
from eval.family_font import screen_graphic
from eval.family_stroke import paint

MAX_SIDE = 1600  # px: larger canvases are scaled down, number and all


def render(mask: Image.Image, source: str, rng: np.random.Generator, max_side: int | None) -> Rendered:
    """The number ``mask`` (ink coverage, cropped) shown the way ``source`` is, on a canvas around it."""
    photo = bool(rng.random() < 0.5)
    size = _canvas(mask, rng, photo)
    mask, size = _fit(mask, size, min(MAX_SIDE, max_side or MAX_SIDE))
    params: dict[str, object] = {"shown": "photo" if photo else _plain[source]}
    if photo:
        rendered = photograph(mask, size, rng)
    elif source == "mnist":
        rendered = scan(mask, size, rng)
    elif source == "stroke":
        placed, fx, fy = place(mask, size, rng)
        rendered = paint(placed, rng, {}, [fx, fy])
    else:
        rendered = screen_graphic(mask, size, rng, {})
    rendered.params = {**params, **rendered.params}
    return rendered


_plain = {"mnist": "scan", "stroke": "canvas", "font": "screen"}


def _canvas(mask: Image.Image, rng: np.random.Generator, photo: bool) -> tuple[int, int]:
    """A canvas the number fills 60-85 % of the width of, with room above and below."""
    width = round(mask.width / rng.uniform(0.6, 0.85))
    slack = 0.25 if photo else 0.08  # the camera's turn moves the ends of a long number up and down
    height = round(mask.height / rng.uniform(0.45, 0.75) + slack * mask.width)
    return width, height


def _fit(mask: Image.Image, size: tuple[int, int], max_side: int) -> tuple[Image.Image, tuple[int, int]]:
    """Scale mask and canvas down together so the canvas's longer side is at most ``max_side``."""
    scale = max_side / max(size)
    if scale >= 1:
        return mask, size
    small = (max(1, round(mask.width * scale)), max(1, round(mask.height * scale)))
    return mask.resize(small, Image.Resampling.LANCZOS), (round(size[0] * scale), round(size[1] * scale))
