"""Find the ink in a picture of handwriting: which way round it is, what is background, what is a stroke.

:func:`find_ink` works at most at ``WORK_SIDE`` px. It decides the polarity from the border, subtracts
a smooth estimate of the background (paper texture, uneven light, shadows), and measures every pixel
as a fraction of the headroom above that background, so ink reads the same in shade as in light.
Strokes are then segmented by **hysteresis**: pixels clearly above the noise and near the strongest
ink are certain ink, and fainter pixels are kept only where they touch certain ink. A blue ballpoint
that skips, or a pencil stroke that fades, stays whole; faint marks elsewhere (paper texture) do not.
Two kinds of marks are never strokes: weak ink that runs to the picture's border (ruled lines,
shadows, the paper's edge), and a mark that runs along a side of the picture and stays near it (a
gradient, a shadow band, the table beyond the paper).

A picture without a digit raises :class:`~service.errors.NoDigit`: one whose strongest mark does not
stand out from the background (blank, uniform), or whose strong marks are scattered like noise
rather than joined into strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from service.errors import NoDigit

WORK_SIDE = 192  # larger pictures are area-averaged down to this before any analysis
MIN_CONTRAST = 0.05  # the strongest ink must stand this far above the background...
BLANK_SIGMAS = 5.0  # ...and this many noise deviations, else the picture is blank;
CLEAR_CONTRAST = 0.15  # fainter ink than this (washed-out photos, pencil)...
FAINT_SIGMAS = 12.0  # ...must stand this many noise deviations above the background
NOISE_SIGMAS = 4.0  # certain ink stands this many noise deviations above the background...
RELATIVE_THRESHOLD = 0.4  # ...and reaches this fraction of the strongest ink
WEAK_SIGMAS = 5.0  # faint ink stands this many noise deviations above the background...
WEAK_FRACTION = 0.2  # ...and reaches this fraction of the strongest ink; kept where it touches certain ink
IMPULSE_STEP = 0.25  # a pixel this far above or below nearly all its neighbours is an impulse...
IMPULSE_SHARE = 0.01  # ...and in a picture with more than this share of them, they are replaced;
NOISY_SHARE = 0.05  # with more than this share, the whole picture is median-filtered
GRAIN = 0.002  # a picture whose pixel-to-pixel noise exceeds this (half a grey level) is noisy...
SMOOTH_PX = 0.7  # ...and is smoothed this much (Gaussian sigma, analysis pixels) before thresholds
MIN_HEADROOM = 0.2  # ink is measured against the room above the background, amplified at most 5x
BACKGROUND_SIDE = 48  # the background is estimated at about this resolution (shorter side)
EDGE_COVER = 1 / 3  # a mark along more than this share of a side of the picture...
EDGE_DEPTH = 0.25  # ...that lies mostly within this share of the picture from that side is an edge
MIN_EXTENT = 0.05  # the main mark spans at least this share of the picture's shorter side...
MIN_EXTENT_PX = 5  # ...and at least this many pixels (of a small picture)...
MIN_SHARE = 0.15  # ...and holds at least this share of all ink, else the marks are noise;
SMALL_EXTENT = 0.15  # a main mark smaller than this share of the shorter side...
SMALL_SHARE = 0.4  # ...must hold at least this share of the ink
NEAR_FRACTION = 0.25  # strokes within this fraction of a stroke's size of it belong with it
EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity


@dataclass(frozen=True)
class Ink:
    """The ink of a picture at analysis resolution.

    ``strength`` is every pixel's ink as a fraction of the headroom above the background (0 where
    there is none), ``mask`` the pixels that belong to strokes, ``certain`` the strength above which
    ink is certain, and ``scale`` the analysis pixels per pixel of the decoded picture (at most 1),
    to map positions back to it.
    """

    strength: np.ndarray
    mask: np.ndarray
    certain: float
    scale: float


def find_ink(gray: np.ndarray, row: bool = False, work_side: int = WORK_SIDE) -> Ink:
    """float32 ``HxW`` grayscale in [0, 1], either polarity -> its strokes; raises ``NoDigit``.

    ``row``: the picture holds a row of marks (the digits of a number), so the main mark gathers
    every mark beside it in its rows, not only those near it (see :func:`_check_strokes`).
    ``work_side``: the longest side analysed; a wide row of small digits needs more than one digit.
    """
    work = _without_impulses(_light_on_dark(_shrink(gray, work_side)))
    strength, noise = _strength(work)
    peak = float(strength.max())
    sigmas = BLANK_SIGMAS if peak >= CLEAR_CONTRAST else FAINT_SIGMAS
    if peak < max(MIN_CONTRAST, sigmas * noise):
        raise NoDigit("the image has no ink: it is blank, uniform or too faint to read")
    certain = max(NOISE_SIGMAS * noise, RELATIVE_THRESHOLD * peak)
    strong = strength > certain
    weak = strength > max(WEAK_SIGMAS * noise, WEAK_FRACTION * peak)
    mask = _drop_edges(_hysteresis(strong, weak))
    _check_strokes(mask, strength, min(work.shape), row)
    return Ink(np.where(mask, strength, np.float32(0.0)), mask, certain, work.shape[1] / gray.shape[1])


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average down so the longer side is at most ``max_side``."""
    height, width = image.shape
    if max(height, width) <= max_side:
        return image
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX), dtype=np.float32)


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels of a ring about 3% of the shorter side wide (at least 1 px)."""
    width = max(1, min(image.shape) // 32)
    inner = np.ones(image.shape, dtype=bool)
    inner[width:-width, width:-width] = False
    return image[inner]


def _sample(image: np.ndarray) -> np.ndarray:
    """Every other pixel of large pictures: enough for robust statistics, at a quarter of the cost."""
    return image[::2, ::2] if image.size > 4096 else image


def _light_on_dark(image: np.ndarray) -> np.ndarray:
    """Invert when the ink is darker than the background (the border's median).

    The ink is on the side of the background where the picture reaches further:
    dark ink on paper pulls the low end down, chalk on a board pushes the top up.
    """
    background = float(np.median(_border(image)))
    low, high = np.quantile(image, [0.002, 0.998])  # every pixel: a hairline can fall between samples
    return 1.0 - image if background - low > high - background else image


def _without_impulses(image: np.ndarray) -> np.ndarray:
    """The picture with salt-and-pepper noise (dust, dead pixels) replaced by the 3x3 median.

    An impulse is a pixel that stands ``IMPULSE_STEP`` above (or below) at least seven of its eight
    neighbours: a speck of one or two pixels. A stroke, however thin, has neighbours along it, so
    only its two end pixels can look like one. Only impulses are replaced (a switching median
    filter), and only in pictures with more than ``IMPULSE_SHARE`` of them; a picture with more than
    ``NOISY_SHARE`` is mostly noise, and all of it is median-filtered twice (clumps of specks too).
    """
    padded = np.pad(image, 1, mode="edge")
    height, width = image.shape
    above = np.zeros(image.shape, dtype=np.int8)
    below = np.zeros(image.shape, dtype=np.int8)
    for dy, dx in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)):
        step = image - padded[dy : dy + height, dx : dx + width]
        above += step > IMPULSE_STEP
        below += step < -IMPULSE_STEP
    impulses = (above >= 7) | (below >= 7)
    share = float(impulses.mean())
    if share <= IMPULSE_SHARE:
        return image
    median = ndimage.median_filter(image, size=3, mode="nearest")
    if share <= NOISY_SHARE:
        return np.where(impulses, median, image)
    # Where specks are this dense, some fall together into clumps that one pass leaves as marks
    # (more so once JPEG has smeared them); a second pass takes those out and keeps any stroke
    # wider than them.
    return ndimage.median_filter(median, size=3, mode="nearest")


def _background(image: np.ndarray) -> np.ndarray:
    """A smooth estimate of the background under light ink: a grey opening at reduced resolution.

    Isolated specks are removed first (a 3x3 median), so dust or salt-and-pepper noise cannot punch
    holes into the estimate. The opening (min then max filter) removes bright structures narrower
    than a third of the picture, such as strokes, and keeps lighting gradients and shadows.
    """
    height, width = image.shape
    if min(height, width) < 2 * BACKGROUND_SIDE:
        small = image
    else:
        small = np.asarray(Image.fromarray(image).reduce(min(height, width) // BACKGROUND_SIDE))
    small = ndimage.median_filter(small, size=3, mode="nearest")
    side = min(small.shape) // 3 | 1
    opened = ndimage.grey_opening(small, size=(side, side), mode="nearest")
    if opened.shape == image.shape:
        return opened
    back = Image.fromarray(opened.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(back, dtype=np.float32)


def _strength(image: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink above the background as a fraction of the headroom, and the noise level (robust sigma).

    A noisy picture (pixel-to-pixel noise above ``GRAIN``) is smoothed first by a Gaussian of
    ``SMOOTH_PX``, narrower than any stroke at this resolution: sensor noise in a dim photo otherwise
    breaks strokes into specks. Clean pictures (drawings, screenshots) keep their sharp edges.
    """
    if _robust_sigma(image - ndimage.uniform_filter(image, 3, mode="nearest")) > GRAIN:
        image = ndimage.gaussian_filter(image, SMOOTH_PX, mode="nearest")
    background = _background(image)
    # For ink on paper this is 1 - ink/paper reflectance: the same in shade as in light.
    strength = (image - background) / np.maximum(1.0 - background, MIN_HEADROOM)
    return strength.astype(np.float32), _robust_sigma(strength)


def _robust_sigma(values: np.ndarray) -> float:
    """The standard deviation of the bulk of ``values``, from their median absolute deviation."""
    sample = _sample(values)
    return 1.4826 * float(np.median(np.abs(sample - np.median(sample))))


def _hysteresis(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Weak pixels 8-connected to strong ones, except weak ink that reaches the picture's border:
    such a mark keeps only its strong pixels."""
    labels, count = ndimage.label(weak | strong, structure=EIGHT)
    keep = np.zeros(count + 1, dtype=bool)
    keep[labels[strong]] = True
    faint_only = np.where(strong, 0, labels)
    for side in (faint_only[0], faint_only[-1], faint_only[:, 0], faint_only[:, -1]):
        keep[side] = False
    keep[0] = False
    return keep[labels] | strong


def _drop_edges(mask: np.ndarray) -> np.ndarray:
    """Remove marks that run along a side of the picture (for more than ``EDGE_COVER`` of its length)
    and lie mostly near it (in the outer ``EDGE_DEPTH`` of the picture): a shadow, a gradient, the
    edge of the paper. A digit cropped tightly touches the sides too, but reaches into the picture."""
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        return mask
    depth = max(1, round(EDGE_DEPTH * min(mask.shape)))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    edge = np.zeros(count + 1, dtype=bool)
    for side, band in (
        (labels[0], labels[:depth]),
        (labels[-1], labels[-depth:]),
        (labels[:, 0], labels[:, :depth]),
        (labels[:, -1], labels[:, -depth:]),
    ):
        along = np.bincount(side, minlength=count + 1) > EDGE_COVER * len(side)
        near = np.bincount(band.ravel(), minlength=count + 1) > 0.5 * sizes
        edge |= along & near
    edge[0] = True
    return mask & ~edge[labels]


def _check_strokes(mask: np.ndarray, strength: np.ndarray, shorter_side: int, row: bool = False) -> None:
    """Raise ``NoDigit`` unless the ink holds one clear main mark: noise gives specks.

    The main mark is the heaviest stroke with the strokes near it (within ``NEAR_FRACTION`` of its
    size: the pieces of a pen that skips). It must span ``MIN_EXTENT`` of the picture (and
    ``MIN_EXTENT_PX``) and hold ``MIN_SHARE`` of the ink; when it spans less than ``SMALL_EXTENT``,
    it must hold ``SMALL_SHARE``.
    A small digit on clean paper passes (it holds nearly all the ink); specks of noise, all alike
    and each too small to gather the others, do not. With ``row``, the share is that of every mark
    that shares the main mark's rows (within the same margin), however far to the side: the other
    digits of a number. Noise scattered over the picture leaves most of its specks outside those
    rows, and its main mark is as small as ever.
    """
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        raise NoDigit("the image has no ink apart from its edges")
    mass = ndimage.sum_labels(strength, labels, np.arange(1, count + 1))
    boxes = ndimage.find_objects(labels)
    main = boxes[int(np.argmax(mass))]
    margin = NEAR_FRACTION * max(s.stop - s.start for s in main)
    near = [i for i, box in enumerate(boxes) if overlaps(box, main, margin)]
    rows = min(boxes[i][0].start for i in near), max(boxes[i][0].stop for i in near)
    cols = min(boxes[i][1].start for i in near), max(boxes[i][1].stop for i in near)
    if row:  # the share is the row's; the extent stays the main mark's, so dust cannot span a row
        near = [i for i, box in enumerate(boxes) if overlaps(box[:1], main[:1], margin)]
    extent_px = max(rows[1] - rows[0], cols[1] - cols[0])
    extent, share = extent_px / shorter_side, mass[near].sum() / mass.sum()
    small = extent < SMALL_EXTENT and share < SMALL_SHARE
    if extent_px < MIN_EXTENT_PX or extent < MIN_EXTENT or share < MIN_SHARE or small:
        raise NoDigit("no digit found: the marks in the image are scattered specks, not strokes")


def overlaps(box: tuple[slice, ...], other: tuple[slice, ...], margin: float) -> bool:
    """Whether ``box`` meets ``other`` grown by ``margin`` on every side."""
    return all(
        b.start < o.stop + margin and b.stop > o.start - margin for b, o in zip(box, other, strict=True)
    )
