"""The geometry of a written number's ink: strokes, the strokes that make one digit, and the ink between
two cuts (:mod:`service.images.cuts` says where a stroke may be cut). Used by
:mod:`service.images.segment`.

Every position is at analysis resolution (:func:`~service.images.ink.find_ink`'s). Sizes are relative
to the *digit height*: the height of the tallest stroke with a fair share of the ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

SPECK_EXTENT = 0.2  # a stroke smaller than this share of the tallest stroke on both axes is a speck...
SPECK_MASS = 0.02  # ...and so is one with less than this share of the heaviest stroke's ink
SUBSTANTIAL = 0.2  # strokes with this share of the heaviest one's ink set the digit height
OVERLAP = 0.5  # strokes overlapping over this share of the narrower one's columns are one digit...
NEAR = 0.3  # ...when the rows between them are fewer than this share of the digit height
WHOLE_HEIGHT = 0.6  # a stroke this tall (share of the digit height)...
THIN = 0.35  # ...and wider than this share of its height looks like a whole digit by itself
EIGHT = np.ones((3, 3), dtype=bool)


@dataclass
class Piece:
    """Ink that may be (part of) one digit: its mask over the whole picture, and its bounding box."""

    mask: np.ndarray
    rows: tuple[int, int]
    cols: tuple[int, int]
    mass: float

    @property
    def height(self) -> int:
        return self.rows[1] - self.rows[0]

    @property
    def width(self) -> int:
        return self.cols[1] - self.cols[0]

    def whole(self, height: float) -> bool:
        """Whether it looks like a whole digit: tall, and not a thin upright stroke."""
        return self.height >= WHOLE_HEIGHT * height and self.width >= THIN * self.height


def strokes(mask: np.ndarray, strength: np.ndarray) -> list[Piece]:
    """The 8-connected strokes of ``mask``, without specks."""
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        return []
    mass = ndimage.sum_labels(strength, labels, np.arange(1, count + 1))
    boxes = ndimage.find_objects(labels)
    tallest = max(b[0].stop - b[0].start for b in boxes)
    small, light = SPECK_EXTENT * tallest, SPECK_MASS * float(mass.max())
    pieces = []
    for i, (box, ink) in enumerate(zip(boxes, mass, strict=True)):
        rows, cols = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
        if ink < light or (rows[1] - rows[0] < small and cols[1] - cols[0] < small):
            continue
        full = np.zeros(mask.shape, dtype=bool)
        full[box] = labels[box] == i + 1
        pieces.append(Piece(full, rows, cols, float(ink)))
    return pieces


def digit_height(pieces: list[Piece]) -> int:
    heaviest = max(p.mass for p in pieces)
    return max(p.height for p in pieces if p.mass >= SUBSTANTIAL * heaviest)


def merge_stacked(pieces: list[Piece], height: int) -> list[Piece]:
    """Join pieces stacked in the same columns (a 5's top bar, a 4 in two strokes), left to right."""
    pieces = sorted(pieces, key=lambda p: p.cols[0])
    i = 0
    while i < len(pieces):
        j = next((j for j in range(i + 1, len(pieces)) if _stacked(pieces[i], pieces[j], height)), None)
        if j is None:
            i += 1
        else:
            pieces[i] = union([pieces[i], pieces.pop(j)])
    return pieces


def _stacked(a: Piece, b: Piece, height: int) -> bool:
    """Parts of one digit: in the same columns, near in rows, and not two whole digits."""
    overlap = min(a.cols[1], b.cols[1]) - max(a.cols[0], b.cols[0])
    gap = max(a.rows[0], b.rows[0]) - min(a.rows[1], b.rows[1])
    if overlap < OVERLAP * min(a.width, b.width) or gap > NEAR * height:
        return False
    return not (a.whole(height) and b.whole(height))


def union(pieces: list[Piece]) -> Piece:
    rows = (min(p.rows[0] for p in pieces), max(p.rows[1] for p in pieces))
    cols = (min(p.cols[0] for p in pieces), max(p.cols[1] for p in pieces))
    mask = np.logical_or.reduce([p.mask for p in pieces])
    return Piece(mask, rows, cols, sum(p.mass for p in pieces))


def between(piece: Piece, left: np.ndarray | None, right: np.ndarray | None) -> Piece | None:
    """The part of a piece right of path ``left`` and left of path ``right`` (None: the piece's own
    edge); None when it holds no ink."""
    columns = np.arange(piece.mask.shape[1])[None, :]
    mask = piece.mask.copy()
    if left is not None:
        mask &= columns >= left[:, None]
    if right is not None:
        mask &= columns < right[:, None]
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    share = float(mask.sum()) / max(float(piece.mask.sum()), 1.0)
    return Piece(
        mask, (int(rows[0]), int(rows[-1]) + 1), (int(cols[0]), int(cols[-1]) + 1), piece.mass * share
    )
