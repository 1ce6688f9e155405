"""Stroke width: measure it, and bring it near MNIST's.

MNIST's strokes are about 2.25 px wide in the 28x28 frame (median; half of them 1.75-2.6 px, measured
with :func:`stroke_width` on the test set at 4x resolution). A thin pen on a large canvas arrives as
a hairline after scaling the digit to 20 px, and a marker as a blob; both are read worse than
MNIST-like strokes. :func:`normalise_width` grows strokes that would end up thinner than
``MIN_WIDTH`` to ``TARGET_WIDTH`` and thins those that would end up wider than ``MAX_WIDTH``, by
a distance-transform dilation or erosion of the digit's shape. Strokes in between keep their own
width and grey levels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MIN_WIDTH = 1.75  # px in the 28x28 frame: thinner strokes are grown...
TARGET_WIDTH = 2.25  # ...to MNIST's median width
MAX_WIDTH = 3.5  # px in the frame: wider strokes are thinned to this


def stroke_width(shape: np.ndarray) -> float:
    """The median width in px of the strokes of a boolean ``shape``: twice the distance from the
    stroke's middle (the ridge of the distance transform) to its edge, less the middle pixel."""
    distance = ndimage.distance_transform_edt(np.pad(shape, 1))
    ridge = (distance == ndimage.maximum_filter(distance, size=3)) & (distance > 0)
    if not ridge.any():
        return 0.0
    return max(2.0 * float(np.median(distance[ridge])) - 1.0, 1.0)


def normalise_width(patch: np.ndarray, box: int) -> np.ndarray:
    """Bring the strokes of ``patch`` (float ink in [0, 1], tightly cropped) near MNIST's width,
    for a patch that will be scaled so its longer side is ``box`` px in the frame.

    Returns ``patch`` unchanged when its strokes are already within [``MIN_WIDTH``, ``MAX_WIDTH``],
    else the re-drawn shape (0 or 1), cropped again.
    """
    shape = patch > 0.5
    if not shape.any():
        return patch
    side, width = max(patch.shape), stroke_width(shape)
    framed = width * box / side
    if MIN_WIDTH <= framed <= MAX_WIDTH:
        return patch
    target = TARGET_WIDTH if framed < MIN_WIDTH else MAX_WIDTH
    # Grow (or shrink) every side by ``radius`` patch px; the patch grows (or shrinks) with it, so
    # solve (width + 2r) * box / (side + 2r) = target for r.
    radius = (target * side - box * width) / (2 * (box - target))
    padded = np.pad(shape, int(np.ceil(max(radius, 0.0))) + 1)
    if radius > 0:
        redrawn = ndimage.distance_transform_edt(~padded) <= radius
    else:
        redrawn = ndimage.distance_transform_edt(padded) > -radius
        if not redrawn.any():  # a stroke thinner than the erosion: keep the original
            return patch
    rows = np.flatnonzero(redrawn.any(axis=1))
    cols = np.flatnonzero(redrawn.any(axis=0))
    return redrawn[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
