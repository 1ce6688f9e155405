"""Turn an uploaded digit image into the model's 28x28 input, the way MNIST was made.

The contract (also in each model's sidecar): float32 ``[28, 28]`` in [0, 1], a
light digit on a dark (0) background, the digit's longer side 20 px, centred
by centre of mass, the strongest ink at 1.0: the classic MNIST recipe.

:func:`normalize_digit` makes a real picture look like that. :func:`~service.images.ink.find_ink`
finds the strokes (polarity, background, hysteresis; ``NoDigit`` when there are none); specks away
from the digit are dropped; the digit is cropped, small crops are enlarged so their edges stay
smooth, strokes are brought near MNIST's width (:mod:`service.images.strokes`), and the digit is
scaled to 20 px by area averaging (which gives MNIST's anti-aliased edges) and centred by its centre
of mass. Pictures that already are MNIST-like pass through unchanged. Decoding bytes and checking
client-sent arrays live in :mod:`service.images.decode`; both are re-exported here so callers need
one import.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from service.errors import NoDigit
from service.images.decode import array_to_input, decode_image
from service.images.ink import WORK_SIDE, Ink, find_ink, overlaps
from service.images.strokes import normalise_width

__all__ = ["array_to_input", "decode_image", "digit_input", "normalize_digit", "preprocess_image"]

FRAME = 28  # output side
BOX = 20  # the digit's longer side in the frame
CENTRE = 14.0  # MNIST puts the centre of mass at pixel index 14 (rounded), rows and columns
MIN_CROP = 96  # px: a smaller crop is enlarged (bilinear) before its strokes are measured
SPECK_FRACTION = 0.05  # a blob with less ink than this fraction of the biggest is a speck...
NEAR_FRACTION = 0.25  # ...and so is one farther from the biggest than this fraction of its size


def preprocess_image(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode an uploaded image and normalise the digit in it: :func:`decode_image` then
    :func:`normalize_digit` (decoded images are already finite and in range)."""
    return _normalize(decode_image(data, max_pixels, max_side=WORK_SIDE))


def normalize_digit(gray: np.ndarray) -> np.ndarray:
    """float32 ``HxW`` grayscale in [0, 1], either polarity -> float32 ``[28, 28]`` per the contract.

    Raises :class:`~service.errors.NoDigit` for a picture without ink (blank, uniform, noise).
    """
    return _normalize(_sanitise(gray))


def digit_input(ink: Ink, mask: np.ndarray) -> np.ndarray:
    """The model input for the ink under ``mask`` (one digit of ``ink``): crop, stroke width, frame."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    strokes = mask[box]
    strength = ink.strength[box]
    # Solid strokes like MNIST's: half the ink reaches full strength, the rest keeps its grey level.
    level = float(np.median(strength[strokes]))
    patch = np.where(strokes, np.minimum(strength / level, 1.0), 0.0).astype(np.float32)
    patch = _enlarge(patch, MIN_CROP)
    patch = normalise_width(patch, BOX)
    return _place_by_mass(_fit(patch, BOX))


def _normalize(image: np.ndarray) -> np.ndarray:
    """:func:`normalize_digit` for a finite float32 picture already in [0, 1]."""
    if image.size == 0:
        raise NoDigit("the image is empty")
    if _is_mnist_like(image):
        return image
    ink = find_ink(image)
    return digit_input(ink, _drop_specks(ink))


def _sanitise(gray: np.ndarray) -> np.ndarray:
    """A finite float32 copy clipped to [0, 1]; NaN counts as black."""
    values = np.asarray(gray, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {values.shape}")
    if not np.isfinite(values).all():  # rare: only hand-made arrays, never decoded images
        values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(values, 0.0, 1.0)


# For each pixel of a 28x28 frame: 1, 1 if inside the 2-pixel border, its row, its column. One
# product with a flattened frame gives the total ink, the ink inside, and the two first moments.
_INSIDE = np.zeros((FRAME, FRAME), dtype=np.float32)
_INSIDE[2:-2, 2:-2] = 1.0
_MOMENT_WEIGHTS = (
    np.stack([np.ones((FRAME, FRAME)), _INSIDE, *np.indices((FRAME, FRAME))], axis=-1)
    .reshape(FRAME * FRAME, 4)
    .astype(np.float32)
)
_RING_PIXELS = FRAME * FRAME - (FRAME - 4) ** 2  # the 2-pixel border


def _is_mnist_like(image: np.ndarray) -> bool:
    """28x28 with some ink, a dark border and the centre of mass at the centre: already model input.

    This is the hot path for MNIST-style uploads, so it costs one small matrix product.
    """
    if image.shape != (FRAME, FRAME):
        return False
    total, inside, row_moment, col_moment = (image.reshape(-1) @ _MOMENT_WEIGHTS).tolist()
    if total == 0.0 or (total - inside) / _RING_PIXELS > 0.1:
        return False
    return abs(row_moment / total - CENTRE) <= 1.0 and abs(col_moment / total - CENTRE) <= 1.0


def _drop_specks(ink: Ink) -> np.ndarray:
    """Keep the biggest 8-connected blob and the others that are near it and not tiny.

    Blobs are weighed by their ink above the level of certain ink, and only a blob whose strongest
    ink reaches half the picture's can be the biggest, so a large faint smudge does not outweigh the
    digit. "Near" is within the biggest blob's box grown by ``NEAR_FRACTION`` of its size; a blob
    with half the biggest one's ink is kept anywhere.
    """
    labels, count = ndimage.label(ink.mask, structure=np.ones((3, 3)))
    if count <= 1:
        return ink.mask
    index = np.arange(1, count + 1)
    excess = np.maximum(ink.strength - ink.certain, 0.0)
    strong = ndimage.maximum(excess, labels, index) >= 0.5 * excess.max()
    mass = np.where(strong, ndimage.sum_labels(excess, labels, index), 0.0)
    boxes = ndimage.find_objects(labels)
    main = boxes[int(np.argmax(mass))]
    margin = NEAR_FRACTION * max(s.stop - s.start for s in main)
    near = np.array([overlaps(box, main, margin) for box in boxes])
    keep = (mass >= 0.5 * mass.max()) | (near & (mass >= SPECK_FRACTION * mass.max()))
    return np.concatenate([[False], keep])[labels]


def _enlarge(patch: np.ndarray, min_side: int) -> np.ndarray:
    """Scale up (bilinear) so the longer side is at least ``min_side``."""
    height, width = patch.shape
    if max(height, width) >= min_side:
        return patch
    scale = min_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(patch).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def _fit(patch: np.ndarray, side: int) -> np.ndarray:
    """Scale so the longer side is ``side`` px, keeping the aspect ratio (area-averaging down)."""
    height, width = patch.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(patch.astype(np.float32)).resize(size, resample)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _place_by_mass(patch: np.ndarray) -> np.ndarray:
    """Paste into the frame so the centre of mass lands on pixel 14 (kept inside the frame),
    then stretch so the strongest ink is 1.0."""
    out = np.zeros((FRAME, FRAME), dtype=np.float32)
    if not patch.sum() > 0:
        return out
    height, width = patch.shape
    centre_y, centre_x = ndimage.center_of_mass(patch)
    top = int(np.clip(np.floor(CENTRE - centre_y + 0.5), 0, FRAME - height))
    left = int(np.clip(np.floor(CENTRE - centre_x + 0.5), 0, FRAME - width))
    out[top : top + height, left : left + width] = patch
    peak = out.max()
    return out / peak if peak > 0 else out
