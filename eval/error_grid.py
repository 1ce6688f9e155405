"""A contact sheet of misclassified images: each original beside the 28x28 the model saw.

Transparent originals are shown over a checkerboard, so "ink only in the alpha channel" is visible.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from eval.labels import Sample

THUMB = 96  # px, both the original's thumbnail box and the magnified 28x28 input
CAPTION = 28  # px of text under each cell
CELL = (2 * THUMB + 12, THUMB + CAPTION + 6)


@dataclass(frozen=True)
class Miss:
    """One misclassified image: what it is, its bytes, what the model saw and what it answered."""

    sample: Sample
    data: bytes
    model_input: np.ndarray
    predicted: int


def pick(misses: Sequence[Miss], limit: int) -> list[Miss]:
    """Up to ``limit`` misses, taken in turn from each family so every family is represented."""
    by_family: dict[str, list[Miss]] = {}
    for miss in misses:
        by_family.setdefault(miss.sample.family, []).append(miss)
    chosen: list[Miss] = []
    queues = list(by_family.values())
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def error_grid(misses: Sequence[Miss], columns: int = 5) -> Image.Image:
    """An RGB sheet with one cell per miss: thumbnail, model input x3, and a caption."""
    rows = max(1, -(-len(misses) // columns))
    sheet = Image.new("RGB", (columns * CELL[0], rows * CELL[1]), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for k, miss in enumerate(misses):
        x, y = (k % columns) * CELL[0], (k // columns) * CELL[1]
        sheet.paste(_thumbnail(miss.data), (x + 4, y + 4))
        sheet.paste(_magnified(miss.model_input), (x + THUMB + 8, y + 4))
        said = "refused" if miss.predicted < 0 else str(miss.predicted)
        draw.text(
            (x + 4, y + THUMB + 6), f"{miss.sample.label} -> {said}  {miss.sample.family}", fill=(200, 0, 0)
        )
        draw.text((x + 4, y + THUMB + 18), miss.sample.file, fill=(90, 90, 90))
    return sheet


def _thumbnail(data: bytes) -> Image.Image:
    """The original, fitted into a THUMB box over a checkerboard (which shows through transparency)."""
    box = _checkerboard(THUMB)
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    rgba.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
    box.alpha_composite(rgba, ((THUMB - rgba.width) // 2, (THUMB - rgba.height) // 2))
    return box.convert("RGB")


def _magnified(model_input: np.ndarray) -> Image.Image:
    """The 28x28 model input as grey pixels, blown up with hard edges to show exactly what was seen."""
    grey = Image.fromarray(np.clip(np.rint(model_input * 255), 0, 255).astype(np.uint8), "L")
    return grey.resize((THUMB - THUMB % 28, THUMB - THUMB % 28), Image.Resampling.NEAREST)


def _checkerboard(side: int, square: int = 8) -> Image.Image:
    ys, xs = np.mgrid[0:side, 0:side] // square
    grey = np.where((xs + ys) % 2 == 0, 200, 160).astype(np.uint8)
    return Image.fromarray(grey, "L").convert("RGBA")
