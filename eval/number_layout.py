"""Lay digit glyphs out as a written number: in a row along a tilted baseline, with a chosen spacing.

A glyph is an ink mask (Pillow ``L``, 255 = ink, cropped to the ink) as the families draw them.
:func:`positions` places them left to right (:func:`paste` draws them) so that neighbours are

- ``separated``: their boxes 6-45 % of the digit height apart (tight spacing to wide gaps), so their
  ink never meets;
- ``touching``: the ink of each pair just meets, joined over about half a stroke width;
- ``overlapping``: their boxes overlap by 10-30 % of the narrower digit's width (the ink usually
  crosses), as fast handwriting does.

Each glyph sits on a baseline tilted by up to ``MAX_TILT_DEGREES``, a little higher or lower and a
little larger or smaller than its neighbours.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from PIL import Image, ImageChops

Spacing = Literal["separated", "touching", "overlapping"]
SPACINGS: tuple[Spacing, ...] = ("separated", "touching", "overlapping")
MAX_TILT_DEGREES = 5.0
GAP = (0.06, 0.45)  # separated: box gap as a share of the digit height
OVERLAP = (0.1, 0.3)  # overlapping: box overlap as a share of the narrower digit's width
JITTER = 0.04  # per-digit vertical offset, share of the digit height
MARGIN = 4  # px of empty mask around the number


def positions(
    glyphs: list[Image.Image], spacing: Spacing, pen_px: float, rng: np.random.Generator
) -> tuple[list[int], list[int], float]:
    """Where each glyph's box goes (its left and top edge) and the baseline's tilt in degrees."""
    height = max(g.height for g in glyphs)
    slope = math.tan(math.radians(rng.uniform(-MAX_TILT_DEGREES, MAX_TILT_DEGREES)))
    bases = [height - g.height + rng.uniform(-JITTER, JITTER) * height for g in glyphs]
    lefts, tops = [0], [round(bases[0])]
    for k in range(1, len(glyphs)):
        top = round(bases[k] + slope * (lefts[-1] + glyphs[k - 1].width))  # on the tilted baseline
        drop = top - tops[-1]
        lefts.append(int(_next_left(glyphs[k - 1], glyphs[k], lefts[-1], drop, spacing, pen_px, rng)))
        tops.append(top)
    return lefts, tops, round(math.degrees(math.atan(slope)), 1)


def _next_left(
    prev: Image.Image,
    glyph: Image.Image,
    prev_left: int,
    drop: int,
    spacing: Spacing,
    pen_px: float,
    rng: np.random.Generator,
) -> int:
    """Where the next glyph's box starts, for the chosen spacing."""
    height = max(prev.height, glyph.height)
    if spacing == "separated":
        return prev_left + prev.width + max(1, round(rng.uniform(*GAP) * height))
    if spacing == "overlapping":
        return prev_left + prev.width - max(1, round(rng.uniform(*OVERLAP) * min(prev.width, glyph.width)))
    join = max(1, round(rng.uniform(0.3, 0.7) * pen_px))
    return prev_left + _touch_offset(prev, glyph, drop) - join


def _touch_offset(left: Image.Image, right: Image.Image, drop: int) -> int:
    """The smallest shift of ``right`` (its top ``drop`` px below ``left``'s) at which the two inks
    meet: per shared row, the room between ``left``'s rightmost and ``right``'s leftmost ink."""
    a = np.asarray(left) > 127
    b = np.asarray(right) > 127
    room = []
    for row in range(a.shape[0]):
        other = row - drop
        if 0 <= other < b.shape[0] and a[row].any() and b[other].any():
            room.append(a.shape[1] - 1 - np.flatnonzero(a[row])[-1] + np.flatnonzero(b[other])[0])
    if not room:  # no shared rows: touch boxes edge to edge
        return left.width
    return left.width - min(room)


def paste(glyphs: list[Image.Image], lefts: list[int], tops: list[int]) -> Image.Image:
    """Every glyph at its place on one mask (ink adds up, as a pen passing twice), cropped to the ink."""
    x0, y0 = min(lefts), min(tops)
    width = max(left + g.width for left, g in zip(lefts, glyphs, strict=True)) - x0
    height = max(top + g.height for top, g in zip(tops, glyphs, strict=True)) - y0
    mask = Image.new("L", (width + 2 * MARGIN, height + 2 * MARGIN), 0)
    for glyph, left, top in zip(glyphs, lefts, tops, strict=True):
        layer = Image.new("L", mask.size, 0)
        layer.paste(glyph, (left - x0 + MARGIN, top - y0 + MARGIN))
        mask = ImageChops.lighter(mask, layer)
    return mask
