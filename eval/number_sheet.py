"""A contact sheet of misread numbers: each picture with the digit boxes that were read drawn over it,
the 28x28 input of every digit beside it, and ``label -> read`` with the spacing and source.

Transparent pictures are shown over a checkerboard (``eval.error_grid``'s thumbnails), so ink that
lives only in the alpha channel shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from eval.error_grid import _checkerboard
from eval.number_reading import Reading
from eval.number_set import NumberSample

PICTURE = (288, 120)  # px, the box each picture is fitted into
DIGIT = 42  # px, each 28x28 input magnified 1.5x
CAPTION = 28
ROW = PICTURE[1] + CAPTION + 10
BOX_COLOURS = ((220, 20, 60), (30, 144, 255), (34, 139, 34), (255, 140, 0))


def misses_sheet(
    samples: Sequence[NumberSample], blobs: Sequence[bytes], readings: Sequence[Reading]
) -> Image.Image:
    """One row per miss: the picture with its boxes, the digits the model saw, and a caption."""
    width = PICTURE[0] + 12 + 8 * (DIGIT + 4)
    sheet = Image.new("RGB", (width, max(1, len(samples)) * ROW), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for row, (sample, data, reading) in enumerate(zip(samples, blobs, readings, strict=True)):
        y = row * ROW
        sheet.paste(_picture(data, reading.boxes), (4, y + 4))
        inputs = reading.inputs if reading.inputs is not None else np.zeros((0, 28, 28))
        for k, pixels in enumerate(inputs[:8]):
            grey = Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8), "L")
            sheet.paste(
                grey.resize((DIGIT, DIGIT), Image.Resampling.NEAREST),
                (PICTURE[0] + 12 + k * (DIGIT + 4), y + 4),
            )
        said = reading.refusal or reading.text or "nothing"
        caption = f"{sample.text} -> {said}   {sample.spacing}, {sample.source}"
        draw.text((4, y + PICTURE[1] + 8), caption, fill=(200, 0, 0))
        draw.text((4, y + PICTURE[1] + 20), sample.file, fill=(90, 90, 90))
    return sheet


def _picture(data: bytes, boxes: Sequence[tuple[int, int, int, int]]) -> Image.Image:
    """The picture over a checkerboard with every read digit's box, fitted into ``PICTURE``."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    board = _checkerboard(max(rgba.size)).crop((0, 0, *rgba.size))
    board.alpha_composite(rgba)
    picture = board.convert("RGB")
    draw = ImageDraw.Draw(picture)
    line = max(1, round(max(picture.size) / 200))
    for k, box in enumerate(boxes):
        draw.rectangle(box, outline=BOX_COLOURS[k % len(BOX_COLOURS)], width=line)
    picture.thumbnail(PICTURE, Image.Resampling.LANCZOS)
    return picture
