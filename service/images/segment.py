"""Read a whole number: the ink of one picture as digits, left to right.

:func:`number_candidates` finds the ink once (:func:`~service.images.ink.find_ink`, as for a single
digit) and splits it into strokes (:mod:`service.images.pieces`): without specks, and strokes stacked
in the same columns joined into one (a 5's detached top bar, a 4 drawn in two strokes). Strokes
wider than a digit is tall may hold touching digits: :mod:`service.images.cuts` gives the paths
through them where digits may meet, several per join, upright and leaning. The edges of strokes and
the cuts are *nodes*, left to right; the ink between two nodes is a *candidate* digit when it is a
digit's height, its strokes may join (a digit broken into pieces), and it is no wider than
``MAX_ASPECT`` digit heights. Every candidate is normalised exactly as a single upload
(:func:`~service.images.preprocess.digit_input`), with its box in the pixels of the picture as sent.

:meth:`Candidates.best` then picks the reading: the candidates that lead from the first node to the
last with the highest total of log-confidence (the model's, when given; else how digit-like each
candidate's shape is) plus a small cost per digit. Ink shorter than half a digit (dots, dashes) may
be left out. A stroke no wider than ``LONE_ASPECT`` times its height may be one wide digit as well
as two touching ones: it is cut only when the model reads it whole less surely than a single digit.
Pictures without ambiguity give one candidate per digit, and no choice is made. :func:`read_number`
is that reading by shape alone; the service (``service.api.read``) classifies every candidate in one
model call and lets the model choose. The candidate that covers all the ink is the very input
``/predict`` makes of the picture, and a picture that already is MNIST-like is one digit.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from service.errors import NoDigit, TooManyDigits
from service.images import cuts as c
from service.images import pieces as p
from service.images.decode import decode_scaled
from service.images.ink import WORK_SIDE, Ink, find_ink
from service.images.preprocess import _drop_specks, _is_mnist_like, _sanitise, digit_input
from service.images.strokes import stroke_width

MIN_HEIGHT = 0.45  # ink shorter than this share of the digit height is no digit by itself
MAX_ATOMS = 5  # a candidate joins at most this many strokes...
MAX_ASPECT = 1.4  # ...and is at most this many times as wide as the digit height
WHOLE_ASPECT = 2.0  # all the ink is also a candidate up to this many times as wide as it is tall
JOIN_GAP = 0.2  # strokes join only across a gap below this share of the height
ATOMS_PER_DIGIT = MAX_ATOMS  # more tall strokes than this per allowed digit: certainly too many
DIGIT_COST = -0.1  # added per digit read: between equally sure readings, the one with fewer digits
SKIP_COST = -0.5  # added per stretch of ink left out
CONFIDENCE_WEIGHT = 3.0  # how much the model's log-confidence counts...
SHAPE_WEIGHT = 0.3  # ...beside the shape's
LONE_ASPECT = 1.45  # ink that is one stroke at most this many times as wide as tall is one digit...
LONE_CONFIDENCE = 0.9  # ...unless the model reads it less surely than this
MAX_CROSSING = 3.0  # a cut crosses at most this many strokes (touching digits meet in about one)
ASPECT = (0.75, 0.3)  # a digit's width / height: widest without doubt, and the spread beyond


@dataclass(frozen=True)
class DigitCrop:
    """One digit of a number: the model's 28x28 input, and its box ``(x0, y0, x1, y1)`` in pixels
    of the picture as sent (``x1`` and ``y1`` exclusive, as Pillow's boxes)."""

    pixels: np.ndarray
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Candidates:
    """Every digit the ink may hold: ``crops[k]`` is the ink between nodes ``spans[k] = (start,
    stop)``, and ``shapes[k]`` says how digit-like its shape is (log, <= 0); ``skippable[i]`` says
    whether the ink between nodes ``i`` and ``i + 1`` may be left out."""

    crops: list[DigitCrop]
    spans: list[tuple[int, int]]
    shapes: list[float]
    skippable: list[bool]
    guards: tuple[int, ...] = ()  # candidates that are a whole stroke that may be one digit

    @property
    def simple(self) -> bool:
        """One candidate per step between nodes, none to leave out: the reading is every candidate."""
        return len(self.crops) == len(self.skippable) and not any(self.skippable)

    def best(self, confidence: np.ndarray | None = None, max_digits: int | None = None) -> list[int]:
        """The indices of the candidates read, left to right; ``confidence[k]`` is the model's for
        candidate ``k`` (without it, shapes alone decide). Raises
        :class:`~service.errors.TooManyDigits` when the reading has more than ``max_digits``."""
        chosen = self._best(confidence)
        if max_digits is not None and len(chosen) > max_digits:
            raise TooManyDigits(f"the image holds {len(chosen)} digits; the limit is {max_digits} per image")
        return chosen

    def _kept_whole(self, confidence: np.ndarray | None) -> set[int]:
        """The nodes inside guarded strokes that the model reads as surely as a single digit (all of
        them, without a model): such a stroke is one digit, and no reading may cut it. A stroke no
        wider than ``LONE_ASPECT`` times its height is cut only when the model doubts it whole."""
        inside: set[int] = set()
        for k in self.guards:
            if confidence is None or confidence[k] >= LONE_CONFIDENCE:
                inside.update(range(self.spans[k][0] + 1, self.spans[k][1]))
        return inside

    def _best(self, confidence: np.ndarray | None) -> list[int]:
        if self.simple:
            return list(range(len(self.crops)))
        steps = len(self.skippable)
        score = [0.0] + [-math.inf] * steps
        back: list[tuple[int, int | None]] = [(0, None)] * (steps + 1)
        whole = self._kept_whole(confidence)
        ending: list[list[int]] = [[] for _ in range(steps + 1)]
        for k, (_, end) in enumerate(self.spans):
            ending[end].append(k)
        for stop in range(1, steps + 1):
            if stop in whole:
                continue
            if self.skippable[stop - 1] and score[stop - 1] + SKIP_COST > score[stop]:
                score[stop], back[stop] = score[stop - 1] + SKIP_COST, (stop - 1, None)
            for k in ending[stop]:
                value = score[self.spans[k][0]] + self._value(k, confidence)
                if value > score[stop]:
                    score[stop], back[stop] = value, (self.spans[k][0], k)
        chosen: list[int] = []
        at = steps
        while at > 0:
            at, taken = back[at]
            if taken is not None:
                chosen.append(taken)
        return chosen[::-1]

    def _value(self, k: int, confidence: np.ndarray | None) -> float:
        if confidence is None:
            return self.shapes[k] + DIGIT_COST
        model = CONFIDENCE_WEIGHT * math.log(max(float(confidence[k]), 1e-9))
        return model + SHAPE_WEIGHT * self.shapes[k] + DIGIT_COST


def read_number(gray: np.ndarray, max_digits: int | None = None, scale: float = 1.0) -> list[DigitCrop]:
    """float32 ``HxW`` grayscale in [0, 1], either polarity -> its digits by shape alone, left to right."""
    candidates = number_candidates(gray, max_digits, scale)
    return [candidates.crops[k] for k in candidates.best(max_digits=max_digits)]


def read_number_bytes(data: bytes, max_pixels: int, max_digits: int | None = None) -> list[DigitCrop]:
    """:func:`read_number` of an uploaded image file."""
    candidates = number_candidates_bytes(data, max_pixels, max_digits)
    return [candidates.crops[k] for k in candidates.best(max_digits=max_digits)]


def number_candidates_bytes(data: bytes, max_pixels: int, max_digits: int | None = None) -> Candidates:
    """Decode an uploaded image as ``preprocess_image`` does, then :func:`number_candidates`; boxes
    are in the pixels of the image as sent."""
    gray, scale = decode_scaled(data, max_pixels, max_side=WORK_SIDE)
    return number_candidates(gray, max_digits, scale)


def number_candidates(gray: np.ndarray, max_digits: int | None = None, scale: float = 1.0) -> Candidates:
    """Every digit the picture's ink may hold. ``scale`` is the pixels of ``gray`` per pixel of the
    picture as sent. Raises :class:`~service.errors.NoDigit` without ink, and
    :class:`~service.errors.TooManyDigits` when it certainly holds more than ``max_digits``."""
    image = _sanitise(gray)
    if image.size == 0:
        raise NoDigit("the image is empty")
    original = (round(image.shape[0] / scale), round(image.shape[1] / scale))
    if _is_mnist_like(image):
        crop = DigitCrop(image, _box((0, 28), (0, 28), scale, original))
        return Candidates([crop], [(0, 1)], [0.0], [False])
    ink = find_ink(image, row=True)
    pieces, nodes, height = _layout(ink)
    tall = [q.height >= MIN_HEIGHT * height for q in pieces]
    if not any(tall):
        raise NoDigit("no digit found: the marks in the image are dots and dashes, not digits")
    if max_digits is not None and sum(tall) > ATOMS_PER_DIGIT * max_digits:
        raise TooManyDigits(f"the image holds more than {max_digits} digits; that is the limit per image")
    spans, regions, skippable = _regions(pieces, nodes, height)
    to_original = ink.scale * scale
    crops, shapes = [], []
    for span, region in zip(spans, regions, strict=True):
        mask = _drop_specks(ink) if span == (0, len(nodes) - 1) else region.mask
        crops.append(DigitCrop(digit_input(ink, mask), _mask_box(mask, to_original, original)))
        shapes.append(_shape(region, height))
    return Candidates(crops, spans, shapes, skippable, _guards(pieces, nodes, spans))


def _layout(ink: Ink) -> tuple[list[p.Piece], list[c.Node], int]:
    """The strokes left to right, the nodes between digits (each stroke's left edge, the cuts through
    it that cross at most ``MAX_CROSSING`` pen widths of ink, and the last stroke's right edge), and
    the digit height. Whether a narrow stroke may be cut is decided later (:func:`_guards`)."""
    strokes = p.strokes(ink.mask, ink.strength)
    if not strokes:
        raise NoDigit("no digit found: the image holds only specks")
    height = p.digit_height(strokes)
    pieces = sorted(p.merge_stacked(strokes, height), key=lambda q: sum(q.cols))
    pen = max(stroke_width(ink.mask), 1.0)
    nodes = []
    for index, piece in enumerate(pieces):
        nodes.append(c.Node(index, None, float(piece.cols[0])))
        paths = c.cut_paths(piece, height)
        for path in paths:
            if c.crossed(piece, path) <= MAX_CROSSING * pen:
                nodes.append(c.Node(index, path, float(path[piece.rows[0] : piece.rows[1]].mean())))
    nodes.append(c.Node(len(pieces), None, float(pieces[-1].cols[1])))
    return pieces, nodes, height


def _guards(pieces: list[p.Piece], nodes: list[c.Node], spans: list[tuple[int, int]]) -> tuple[int, ...]:
    """The candidates that are a whole stroke with cuts, no wider than ``LONE_ASPECT`` times its
    height: a wide digit as likely as two touching ones (see :meth:`Candidates._kept_whole`)."""
    starts = [i for i, node in enumerate(nodes) if node.path is None]
    guards = []
    for piece, start, stop in zip(pieces, starts, starts[1:], strict=False):
        if stop > start + 1 and piece.width <= LONE_ASPECT * piece.height and (start, stop) in spans:
            guards.append(spans.index((start, stop)))
    return tuple(guards)


def _regions(
    pieces: list[p.Piece], nodes: list[c.Node], height: int
) -> tuple[list[tuple[int, int]], list[p.Piece], list[bool]]:
    """The candidates as spans of nodes ``(start, stop)`` with their ink, and which steps between
    neighbouring nodes hold ink that may be left out (shorter than ``MIN_HEIGHT``). A candidate is
    the ink between two nodes, of a digit's height, whose strokes may join, no wider than
    ``MAX_ASPECT`` digit heights (a stroke without cuts may be wider)."""
    spans, regions = [], []
    skippable = [False] * (len(nodes) - 1)
    for start in range(len(nodes) - 1):
        for stop in range(start + 1, len(nodes)):
            if nodes[stop].x - nodes[start].x > (MAX_ASPECT + 1.0) * height:
                break
            parts = c.parts(pieces, nodes[start], nodes[stop], height)
            if parts is None or len(parts) > MAX_ATOMS or not _joined(parts, height):
                continue
            region = parts[0] if len(parts) == 1 else p.union(parts)
            single = stop == start + 1
            if single and region.height < MIN_HEIGHT * height:
                skippable[start] = True
            elif single or region.width <= MAX_ASPECT * height:
                spans.append((start, stop))
                regions.append(region)
    whole = p.union(pieces)
    if (0, len(nodes) - 1) not in spans and whole.width <= WHOLE_ASPECT * whole.height:
        spans.append((0, len(nodes) - 1))  # one digit, however wide: never split a lone digit unasked
        regions.append(whole)
    return spans, regions, skippable


def _joined(parts: list[p.Piece], height: int) -> bool:
    return all(_joins(a, b, height) for a, b in itertools.pairwise(parts))


def _joins(left: p.Piece, right: p.Piece, height: int) -> bool:
    """Whether two neighbouring strokes may be parts of one digit."""
    gap = max(left.cols[0], right.cols[0]) - min(left.cols[1], right.cols[1])
    return gap < JOIN_GAP * height and not (left.whole(height) and right.whole(height))


def _shape(piece: p.Piece, height: int) -> float:
    """How digit-like a candidate's shape is, as a log-likelihood (0 at a typical digit's aspect)."""
    aspect = piece.width / max(piece.height, 1)
    short = max(0.0, 1.0 - piece.height / (0.8 * height))
    return -(((aspect - ASPECT[0]) / ASPECT[1]) ** 2) * (aspect > ASPECT[0]) - 4.0 * short**2


def _mask_box(mask: np.ndarray, scale: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return _box((int(rows[0]), int(rows[-1]) + 1), (int(cols[0]), int(cols[-1]) + 1), scale, size)


def _box(
    rows: tuple[int, int], cols: tuple[int, int], scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Rows and columns ``[start, stop)`` at ``scale`` pixels per original pixel -> ``(x0, y0, x1,
    y1)`` in the original's pixels, within its ``size`` (height, width): every pixel the ink touches."""
    x0, y0 = int(cols[0] / scale + 1e-6), int(rows[0] / scale + 1e-6)
    x1, y1 = int(np.ceil(cols[1] / scale - 1e-6)), int(np.ceil(rows[1] / scale - 1e-6))
    return max(0, x0), max(0, y0), min(size[1], x1), min(size[0], y1)
