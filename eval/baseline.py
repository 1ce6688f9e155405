"""The naive preprocessing every real-world accuracy is compared with: greyscale, squash to 28x28, /255.

No inversion, no cropping, no centring: what a first attempt at serving an MNIST model does.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def naive_preprocess(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode ``data`` with Pillow, ``convert("L")``, resize to 28x28 and scale to ``[0, 1]``."""
    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > max_pixels:
            raise ValueError(f"image has {image.width * image.height} pixels, more than {max_pixels}")
        small = image.convert("L").resize((28, 28), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32) / 255.0
