"""Turn an uploaded digit image into the model's 28x28 input, the way MNIST was made.

The contract (also in each model's sidecar): float32 ``[28, 28]`` in [0, 1], a
light digit on a dark (0) background, the digit's longer side 20 px, centred
by centre of mass, the strongest ink at 1.0: the classic MNIST recipe.

:func:`normalize_digit` makes a real picture look like that: it finds which way
round the ink is from the border, subtracts a smooth estimate of the
background (paper texture, uneven light, shadows), keeps only ink clearly
above the noise (with its grey levels), drops specks, crops, scales and
centres. Pictures that already are MNIST-like pass through unchanged.
Decoding bytes and checking client-sent arrays live in :mod:`service.images.decode`;
both are re-exported here so callers need one import.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from service.images.decode import array_to_input, decode_image

__all__ = ["array_to_input", "decode_image", "normalize_digit", "preprocess_image"]

FRAME = 28  # output side
BOX = 20  # the digit's longer side in the frame
CENTRE = 14.0  # MNIST puts the centre of mass at pixel index 14 (rounded), rows and columns
WORK_SIDE = 192  # larger pictures are area-averaged down to this before any analysis
MIN_CONTRAST = 0.15  # the strongest ink must stand this far above the background...
BLANK_SIGMAS = 5.0  # ...and this many noise deviations, else the picture is blank
NOISE_SIGMAS = 4.0  # a pixel is ink when it stands this many noise deviations above the background...
RELATIVE_THRESHOLD = 0.4  # ...and this fraction of the strongest ink above it (drops faint lines, shadows)
MIN_HEADROOM = 0.2  # ink is measured against the room above the background, amplified at most 5x
BACKGROUND_SIDE = 48  # the background is estimated at about this resolution (shorter side)
SPECK_FRACTION = 0.05  # a blob with less ink than this fraction of the biggest is a speck...
NEAR_FRACTION = 0.25  # ...and so is one farther from the biggest than this fraction of its size
INK_SATURATION = 90.0  # percentile of ink grey levels that maps to full strength


def preprocess_image(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode an uploaded image and normalise the digit in it: :func:`decode_image` then
    :func:`normalize_digit` (decoded images are already finite and in range)."""
    return _normalize(decode_image(data, max_pixels, max_side=WORK_SIDE))


def normalize_digit(gray: np.ndarray) -> np.ndarray:
    """float32 ``HxW`` grayscale in [0, 1], either polarity -> float32 ``[28, 28]`` per the contract.

    A blank or uniform picture gives all zeros.
    """
    return _normalize(_sanitise(gray))


def _normalize(image: np.ndarray) -> np.ndarray:
    """:func:`normalize_digit` for a finite float32 picture already in [0, 1]."""
    if image.size == 0:
        return np.zeros((FRAME, FRAME), dtype=np.float32)
    if _is_mnist_like(image):
        return image
    ink = _drop_specks(_extract_ink(_light_on_dark(_shrink(image, WORK_SIDE))))
    if not ink.any():
        return np.zeros((FRAME, FRAME), dtype=np.float32)
    return _place_by_mass(_fit(_saturate(_crop(ink)), BOX))


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
    """28x28 with a dark border and the centre of mass at the centre: already model input.

    This is the hot path for MNIST-style uploads, so it costs one small matrix product.
    """
    if image.shape != (FRAME, FRAME):
        return False
    total, inside, row_moment, col_moment = (image.reshape(-1) @ _MOMENT_WEIGHTS).tolist()
    if (total - inside) / _RING_PIXELS > 0.1:
        return False
    if total == 0.0:
        return True
    return abs(row_moment / total - CENTRE) <= 1.0 and abs(col_moment / total - CENTRE) <= 1.0


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
    low, high = np.quantile(_sample(image), [0.002, 0.998])
    return 1.0 - image if background - low > high - background else image


def _background(image: np.ndarray) -> np.ndarray:
    """A smooth estimate of the background under light ink: a grey opening at reduced resolution.

    The opening (min then max filter) removes bright structures narrower than a
    third of the picture, such as strokes, and keeps lighting gradients and shadows.
    """
    height, width = image.shape
    if min(height, width) < 2 * BACKGROUND_SIDE:
        small = image
    else:
        small = np.asarray(Image.fromarray(image).reduce(min(height, width) // BACKGROUND_SIDE))
    side = min(small.shape) // 3 | 1
    opened = ndimage.grey_opening(small, size=(side, side), mode="nearest")
    if opened.shape == image.shape:
        return opened
    back = Image.fromarray(opened.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(back, dtype=np.float32)


def _extract_ink(image: np.ndarray) -> np.ndarray:
    """Ink above the background and the noise, soft-thresholded (so edges keep their grey levels)."""
    background = _background(image)
    # As a fraction of the headroom above the background: for ink on paper this is
    # 1 - ink/paper reflectance, the same in shade as in light.
    residual = (image - background) / np.maximum(1.0 - background, MIN_HEADROOM)
    sample = _sample(residual)
    noise = 1.4826 * float(np.median(np.abs(sample - np.median(sample))))
    peak = float(residual.max())
    if peak < max(MIN_CONTRAST, BLANK_SIGMAS * noise):
        return np.zeros_like(image)
    threshold = max(NOISE_SIGMAS * noise, RELATIVE_THRESHOLD * peak)
    return np.clip(residual - threshold, 0.0, None).astype(np.float32)


def _drop_specks(ink: np.ndarray) -> np.ndarray:
    """Keep the biggest 8-connected blob of strong ink and the others that are near it and not tiny.

    A blob is strong when its strongest ink reaches half the picture's strongest; faint
    blobs are shadow edges or paper texture. "Near" is within the biggest blob's box grown by
    ``NEAR_FRACTION`` of its size; a strong blob with half the biggest one's ink is kept anywhere.
    """
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    index = np.arange(1, count + 1)
    strong = ndimage.maximum(ink, labels, index) >= 0.5 * ink.max()
    mass = np.where(strong, ndimage.sum_labels(ink, labels, index), 0.0)
    boxes = ndimage.find_objects(labels)
    main = boxes[int(np.argmax(mass))]
    margin = NEAR_FRACTION * max(s.stop - s.start for s in main)
    near = np.array([_overlaps(box, main, margin) for box in boxes])
    keep = (mass >= 0.5 * mass.max()) | (near & (mass >= SPECK_FRACTION * mass.max()))
    return np.where(np.concatenate([[False], keep])[labels], ink, np.float32(0.0))


def _overlaps(box: tuple[slice, ...], other: tuple[slice, ...], margin: float) -> bool:
    """Whether ``box`` meets ``other`` grown by ``margin`` on every side."""
    return all(
        b.start < o.stop + margin and b.stop > o.start - margin for b, o in zip(box, other, strict=True)
    )


def _crop(ink: np.ndarray) -> np.ndarray:
    """The bounding box of the non-zero pixels."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _saturate(ink: np.ndarray) -> np.ndarray:
    """Scale so the ``INK_SATURATION`` percentile of the ink is full strength, like MNIST's solid strokes."""
    strong = float(np.percentile(ink[ink > 0], INK_SATURATION))
    return np.minimum(ink / strong, 1.0)


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
