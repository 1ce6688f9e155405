"""Read a whole number: the ink of one picture as digits, left to right.

:func:`number_candidates` finds the ink once (:func:`~service.images.ink.find_ink`, as for a single
digit) and cuts it into *atoms* (:mod:`service.images.pieces`): strokes without specks, strokes
stacked in the same columns joined into one (a 5's detached top bar, a 4 drawn in two strokes), and
strokes wider than a digit is tall cut along the top-to-bottom paths that cross the least ink, where
touching digits may meet (ink that is one stroke no wider than ``LONE_ASPECT`` times its height is
never cut: a lone digit, however wide, stays whole). Runs of
neighbouring atoms that may be one digit (a stroke that was cut, a digit broken into pieces) are
*candidates* too. Every candidate is normalised exactly as a single upload
(:func:`~service.images.preprocess.digit_input`), with its box in the pixels of the picture as sent.

:meth:`Candidates.best` then picks the reading: the candidates that cover the atoms left to right
with the highest total of log-confidence (the model's, when given; else how digit-like each
candidate's shape is) plus a small cost per digit. Atoms shorter than half a digit (dots, dashes) may
be left out. Pictures without ambiguity give one candidate per digit, and no choice is made.
:func:`read_number` is that reading by shape alone; the service (``service.api.read``) classifies
every candidate in one model call and lets the model choose. The candidate that covers all the ink
is the very input ``/predict`` makes of the picture, and a picture that already is MNIST-like is one
digit.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from service.errors import NoDigit, TooManyDigits
from service.images import pieces as p
from service.images.decode import decode_scaled
from service.images.ink import WORK_SIDE, Ink, find_ink
from service.images.preprocess import _drop_specks, _is_mnist_like, _sanitise, digit_input
from service.images.strokes import stroke_width

MIN_HEIGHT = 0.45  # an atom shorter than this share of the digit height is no digit by itself
MAX_ATOMS = 5  # a candidate joins at most this many atoms...
MAX_ASPECT = 1.4  # ...and is at most this many times as wide as the digit height
WHOLE_ASPECT = 2.0  # all the ink is also a candidate up to this many times as wide as it is tall
JOIN_GAP = 0.2  # atoms of different strokes join only across a gap below this share of the height
ATOMS_PER_DIGIT = MAX_ATOMS  # more atoms than this per allowed digit: certainly too many digits
DIGIT_COST = -0.1  # added per digit read: between equally sure readings, the one with fewer digits
SKIP_COST = -0.5  # added per atom left out
CONFIDENCE_WEIGHT = 3.0  # how much the model's log-confidence counts...
SHAPE_WEIGHT = 0.3  # ...beside the shape's
LONE_ASPECT = 1.45  # ink that is one stroke at most this many times as wide as tall is one digit
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
    """Every digit the ink may hold: ``crops[k]`` covers atoms ``spans[k] = (start, stop)``, and
    ``shapes[k]`` says how digit-like its shape is (log, <= 0)."""

    crops: list[DigitCrop]
    spans: list[tuple[int, int]]
    shapes: list[float]
    skippable: list[bool]

    @property
    def simple(self) -> bool:
        """One candidate per atom, none to leave out: the reading is every candidate."""
        return len(self.crops) == len(self.skippable) and not any(self.skippable)

    def best(self, confidence: np.ndarray | None = None, max_digits: int | None = None) -> list[int]:
        """The indices of the candidates read, left to right; ``confidence[k]`` is the model's for
        candidate ``k`` (without it, shapes alone decide). Raises
        :class:`~service.errors.TooManyDigits` when the reading has more than ``max_digits``."""
        chosen = self._best(confidence)
        if max_digits is not None and len(chosen) > max_digits:
            raise TooManyDigits(f"the image holds {len(chosen)} digits; the limit is {max_digits} per image")
        return chosen

    def _best(self, confidence: np.ndarray | None) -> list[int]:
        if self.simple:
            return list(range(len(self.crops)))
        atoms = len(self.skippable)
        score = [0.0] + [-math.inf] * atoms
        back: list[tuple[int, int | None]] = [(0, None)] * (atoms + 1)
        for stop in range(1, atoms + 1):
            if self.skippable[stop - 1] and score[stop - 1] + SKIP_COST > score[stop]:
                score[stop], back[stop] = score[stop - 1] + SKIP_COST, (stop - 1, None)
            for k, (start, end) in enumerate(self.spans):
                value = score[start] + self._value(k, confidence) if end == stop else -math.inf
                if value > score[stop]:
                    score[stop], back[stop] = value, (start, k)
        chosen: list[int] = []
        at = atoms
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
    atoms, strokes, height = _atoms(ink)
    skippable = [a.height < MIN_HEIGHT * height for a in atoms]
    if all(skippable):
        raise NoDigit("no digit found: the marks in the image are dots and dashes, not digits")
    if max_digits is not None and skippable.count(False) > ATOMS_PER_DIGIT * max_digits:
        raise TooManyDigits(f"the image holds more than {max_digits} digits; that is the limit per image")
    spans = _spans(atoms, strokes, skippable, height)
    to_original = ink.scale * scale
    crops, shapes = [], []
    for start, stop in spans:
        mask = _drop_specks(ink) if (start, stop) == (0, len(atoms)) else p.union(atoms[start:stop]).mask
        crops.append(DigitCrop(digit_input(ink, mask), _mask_box(mask, to_original, original)))
        shapes.append(_shape(p.union(atoms[start:stop]), height))
    return Candidates(crops, spans, shapes, skippable)


def _atoms(ink: Ink) -> tuple[list[p.Piece], list[int], int]:
    """The atoms left to right, the stroke each was cut from, and the digit height. Ink that is one
    stroke no wider than ``LONE_ASPECT`` times its height is never cut: a lone digit stays whole."""
    pieces = p.strokes(ink.mask, ink.strength)
    if not pieces:
        raise NoDigit("no digit found: the image holds only specks")
    height = p.digit_height(pieces)
    merged = sorted(p.merge_stacked(pieces, height), key=lambda q: sum(q.cols))
    lone = len(merged) == 1 and merged[0].width <= LONE_ASPECT * merged[0].height
    pen = max(stroke_width(ink.mask), 1.0)
    atoms: list[p.Piece] = []
    strokes: list[int] = []
    for index, piece in enumerate(merged):
        cuts = [] if lone else p.cut_paths(piece, height)
        cuts = [c for c in cuts if p.crossed(piece, c) <= MAX_CROSSING * pen]
        for left, right in itertools.pairwise([None, *cuts, None]):
            part = p.between(piece, left, right)
            if part is not None:
                atoms.append(part)
                strokes.append(index)
    return atoms, strokes, height


def _spans(
    atoms: list[p.Piece], strokes: list[int], skippable: list[bool], height: int
) -> list[tuple[int, int]]:
    """Runs of neighbouring atoms that may be one digit: single atoms of a digit's height, and runs
    whose neighbours may join, no wider than ``MAX_ASPECT`` digit heights."""
    spans = [(i, i + 1) for i in range(len(atoms)) if not skippable[i]]
    for start in range(len(atoms)):
        for stop in range(start + 2, min(len(atoms), start + MAX_ATOMS) + 1):
            if not _joins(atoms[stop - 2], atoms[stop - 1], strokes[stop - 2] == strokes[stop - 1], height):
                break
            run = p.union(atoms[start:stop])
            if run.width > MAX_ASPECT * height:
                break
            spans.append((start, stop))
    whole = p.union(atoms)
    if (0, len(atoms)) not in spans and whole.width <= WHOLE_ASPECT * whole.height:
        spans.append((0, len(atoms)))  # one digit, however wide: never split a lone digit unasked
    return spans


def _joins(left: p.Piece, right: p.Piece, same_stroke: bool, height: int) -> bool:
    """Whether two neighbouring atoms may be parts of one digit."""
    if same_stroke:
        return True
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
