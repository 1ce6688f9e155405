"""Where a stroke may be cut because two digits touch there: paths from its top to its bottom (one
column per row of the picture) that cross little ink, and the ink between two such *nodes* (a cut,
or a stroke's edge). Used by :mod:`service.images.segment`.

Every position is at analysis resolution; sizes are relative to the digit height
(:mod:`service.images.pieces`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.images.pieces import Piece, between

CUTTABLE = 1.0  # a piece wider than this times the digit height (and its own) may hold touching digits
CUT_SPACING = 0.15  # cuts lie at least this share of the digit height apart...
CUT_MARGIN = 0.25  # ...and from the piece's ends
DRIFT = 0.3  # what a cut path pays per sideways step, in inked pixels crossed
BAND = 0.35  # a cut path strays at most this share of the digit height from its middle column...
STRAY = 0.2  # ...paying up to this per row for it (at the band's edge), in inked pixels crossed
SLANTS = (-0.4, -0.2, 0.0, 0.2, 0.4)  # the slants of the lines cut paths keep near, columns per row up
SAME = 0.04  # two cuts with less than this share of the piece's ink between them split it alike


def cut_paths(piece: Piece, height: int) -> list[np.ndarray]:
    """Where touching digits may meet: paths from the piece's top to its bottom (one column per row of
    the picture) that cross little ink, left to right. Digits lean, and so do the joins between
    them: for every slant of ``SLANTS`` the cheapest paths that keep near a line of that slant are
    candidates (:func:`_slanted`), and of those that split the ink alike only the cheapest is kept
    (:func:`_distinct`). Only a piece wider than the digit height (``CUTTABLE``) is cut.
    """
    if piece.width <= CUTTABLE * max(piece.height, height):
        return []
    ink = piece.mask[piece.rows[0] : piece.rows[1], piece.cols[0] : piece.cols[1]]
    found = [cut for slant in SLANTS for cut in _slanted(ink, slant, height)]
    kept = _distinct(found, ink)
    kept.sort(key=lambda path: float(path.mean()))
    return [_extend(path + piece.cols[0], piece.rows, piece.mask.shape[0]) for path in kept]


def _slanted(ink: np.ndarray, slant: float, height: int) -> list[tuple[float, np.ndarray]]:
    """The cheapest paths near lines of ``slant`` (columns per row up the piece) through ``ink``: the
    ink is sheared so those lines stand upright, searched by :func:`_cheapest_paths`, and sheared
    back. Paths whose mean columns lie ``CUT_SPACING`` of the digit height apart, and ``CUT_MARGIN``
    of it inside the piece's ends, as ``(cost, column per row)``."""
    rows, cols = ink.shape
    shift = np.round(slant * (rows - 1 - np.arange(rows)) - slant * (rows - 1) / 2).astype(np.int64)
    shift -= shift.min()
    sheared = np.zeros((rows, cols + int(shift.max())))
    for r in range(rows):
        sheared[r, shift[r] : shift[r] + cols] = ink[r]
    cost, paths = _cheapest_paths(sheared, max(1, round(BAND * height)))
    paths = paths - shift[None, :]
    where = paths.mean(axis=1)
    spacing, margin = max(2, round(CUT_SPACING * height)), max(2, round(CUT_MARGIN * height))
    chosen: list[int] = []
    for m in np.argsort(cost, kind="stable").tolist():
        if margin <= where[m] <= cols - margin and all(abs(where[m] - where[c]) >= spacing for c in chosen):
            chosen.append(m)
    return [(float(cost[m]), np.clip(paths[m], 0, cols)) for m in chosen]


def _distinct(found: list[tuple[float, np.ndarray]], ink: np.ndarray) -> list[np.ndarray]:
    """The cheapest of every set of paths that split the ink alike: between two kept paths lies more
    than ``SAME`` of the ink."""
    before = np.concatenate([np.zeros((ink.shape[0], 1)), np.cumsum(ink, axis=1)], axis=1)
    rows = np.arange(ink.shape[0])
    least = SAME * max(float(ink.sum()), 1.0)
    kept: list[np.ndarray] = []
    for _, path in sorted(found, key=lambda f: f[0]):
        left = before[rows, path]
        if all(float(np.abs(left - before[rows, other]).sum()) > least for other in kept):
            kept.append(path)
    return kept


def _cheapest_paths(ink: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """For every middle column, the cheapest top-to-bottom path within ``reach`` columns of it and
    inside the piece: its cost (one per inked pixel crossed, ``DRIFT`` per sideways step, up to
    ``STRAY`` per row away from the middle) and its column in every row, ``[middle, row]``."""
    rows, cols = ink.shape
    padded = np.pad(ink, ((0, 0), (reach, reach)), constant_values=np.inf)
    band = np.arange(cols)[:, None] + np.arange(2 * reach + 1)[None, :]  # [middle, offset] -> padded column
    stray = STRAY * np.abs(np.arange(2 * reach + 1) - reach) / reach  # per row, away from the middle
    steps = np.zeros((rows, cols, 2 * reach + 1), dtype=np.int8)
    cost = padded[0][band] + stray
    edge = np.full((cols, 1), np.inf)
    for r in range(1, rows):
        left = np.concatenate([edge, cost[:, :-1]], axis=1) + DRIFT
        right = np.concatenate([cost[:, 1:], edge], axis=1) + DRIFT
        choice = np.stack([left, cost, right])
        best = choice.argmin(axis=0)
        steps[r] = best - 1
        cost = np.take_along_axis(choice, best[None], axis=0)[0] + padded[r][band] + stray
    offsets = np.empty((cols, rows), dtype=np.int64)
    offsets[:, -1] = cost.argmin(axis=1)
    middles = np.arange(cols)
    for r in range(rows - 1, 0, -1):
        offsets[:, r - 1] = offsets[:, r] + steps[r, middles, offsets[:, r]]
    return cost.min(axis=1), offsets + middles[:, None] - reach


def _extend(path: np.ndarray, rows: tuple[int, int], height: int) -> np.ndarray:
    """A path over the piece's rows, continued straight up and down to the picture's edges."""
    full = np.empty(height, dtype=np.int64)
    full[: rows[0]], full[rows[0] : rows[1]], full[rows[1] :] = path[0], path, path[-1]
    return full


def crossed(piece: Piece, path: np.ndarray) -> int:
    """How many of the piece's inked pixels a cut path runs through."""
    return int(piece.mask[np.arange(piece.mask.shape[0]), np.clip(path, 0, piece.mask.shape[1] - 1)].sum())


@dataclass(frozen=True)
class Node:
    """A boundary between digits: the left edge of stroke ``piece`` (``path`` None; the last node is
    the right edge of the last stroke), or a cut through that stroke."""

    piece: int
    path: np.ndarray | None = None
    x: float = 0.0  # its mean column, to skip pairs of nodes too far apart at once


def parts(pieces: list[Piece], first: Node, last: Node, height: int) -> list[Piece] | None:
    """The ink between two nodes, one part per stroke; None where a part would be empty, or where
    two cuts through one stroke cross or lie closer than ``CUT_SPACING``."""
    end = last.piece if last.path is not None else last.piece - 1
    found = []
    for k in range(first.piece, end + 1):
        left = first.path if k == first.piece else None
        right = last.path if k == last.piece else None
        if left is not None and right is not None and not _apart(left, right, pieces[k], height):
            return None
        part = between(pieces[k], left, right)
        if part is None:
            return None
        found.append(part)
    return found


def _apart(left: np.ndarray, right: np.ndarray, piece: Piece, height: int) -> bool:
    gap = (right - left)[piece.rows[0] : piece.rows[1]]
    return bool(gap.min() >= 0) and float(gap.mean()) >= CUT_SPACING * height
