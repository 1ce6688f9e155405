"""The ``blur`` family: small, blurry phone-photo crops of ballpoint handwriting (MNIST *test* digits).

The digit fills 45-80 % of a small 40-200 px crop, photographed in blue or black ballpoint
(``eval.camera``), then out of focus: a Gaussian blur or a disk (defocus) blur of 2.5-8 % of the
digit's height, saved as JPEG at quality 30-85.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from eval.camera import photograph
from eval.compose import Rendered, canvas_size, to_image
from eval.family_mnist import MnistPool, ink_mask

SIDES = (40, 200)  # px, canvas sides
BALLPOINTS = ("ballpoint-blue", "ballpoint-black")
BLURS = ("gaussian", "defocus")


def make_blur(pool: MnistPool, rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A blurry crop of a photographed test digit: 40-200 px, JPEG."""
    index, digit = pool.pick(rng, label)
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.75, 1.33))
    height = max(10, round(min(size) * rng.uniform(0.45, 0.8)))
    mask, edge = ink_mask(digit, height, round(0.9 * size[0]), rng)
    shot = photograph(mask, size, rng, pens=BALLPOINTS)
    kind = BLURS[rng.integers(len(BLURS))]
    radius = max(0.8, mask.height * rng.uniform(0.025, 0.08))
    image = (
        shot.image.filter(ImageFilter.GaussianBlur(radius))
        if kind == "gaussian"
        else defocus(shot.image, radius)
    )
    params = {"mnist_test_index": index, "digit_px": mask.height, "edge": edge, **shot.params}
    params |= {"blur_kind": kind, "blur_px": round(radius, 1)}
    return Rendered(image, "JPEG", int(rng.integers(30, 86)), params)


def defocus(image: Image.Image, radius: float) -> Image.Image:
    """An out-of-focus lens: each pixel spread evenly over a disk of ``radius`` px."""
    r = int(np.ceil(radius))
    ys, xs = np.mgrid[-r : r + 1, -r : r + 1]
    disk = (xs**2 + ys**2 <= radius**2).astype(np.float32)
    disk /= disk.sum()
    pixels = np.asarray(image, dtype=np.float32)
    blurred = np.stack([ndimage.convolve(pixels[..., c], disk, mode="nearest") for c in range(3)], axis=-1)
    return to_image(blurred)
