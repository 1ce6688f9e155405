"""The ``photo`` and ``scan`` families: real handwriting from the MNIST *test* set, put back on paper.

Each MNIST digit (light on dark, 28x28) is cropped to its ink, inverted into an ink mask, scaled
up smoothly to 60-400 px and given a pen-like edge, then photographed or scanned (see
``eval.camera``). Only the test set is used, so the training set never leaks into evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from eval.camera import photograph, scan
from eval.compose import Rendered, canvas_size, fit_height
from training.idx import load_images, load_labels

TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
SIDES = (100, 600)  # px, canvas sides of photos and scans


@dataclass(frozen=True)
class MnistPool:
    """MNIST test digits grouped by label, to draw handwriting of a chosen digit."""

    images: np.ndarray
    by_label: tuple[np.ndarray, ...]

    @classmethod
    def load(cls, mnist_dir: Path) -> MnistPool:
        """Read the 10,000 test images and labels from ``mnist_dir`` (never the training set)."""
        images = load_images(mnist_dir / TEST_IMAGES, 10_000)
        labels = load_labels(mnist_dir / TEST_LABELS, 10_000)
        return cls(images, tuple(np.flatnonzero(labels == d) for d in range(10)))

    def pick(self, rng: np.random.Generator, label: int) -> tuple[int, np.ndarray]:
        """A random test image of ``label``: its index in the test set and its pixels."""
        index = int(rng.choice(self.by_label[label]))
        return index, self.images[index]


def ink_mask(
    digit: np.ndarray, height: int, max_width: int, rng: np.random.Generator
) -> tuple[Image.Image, float]:
    """An ink mask ``height`` px tall (at most ``max_width`` wide) from a 28x28 MNIST digit, pen-edged."""
    tile = Image.fromarray(digit, "L")
    box = tile.getbbox() or (0, 0, 28, 28)
    glyph = fit_height(tile.crop(box), height, max_width)
    soft = np.asarray(glyph, dtype=np.float32) / 255.0
    low = rng.uniform(0.1, 0.35)
    high = low + rng.uniform(0.2, 0.5)
    sharp = np.clip((soft - low) / (high - low), 0.0, 1.0)
    mask = Image.fromarray(np.rint(sharp * sharp * (3 - 2 * sharp) * 255).astype(np.uint8), "L")
    return mask, round(high - low, 2)


def make_photo(pool: MnistPool, rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A phone photo of a handwritten test digit: 100-600 px, JPEG at quality 30-95."""
    index, digit = pool.pick(rng, label)
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.7, 1.45))
    height = round(min(size) * rng.uniform(0.3, 0.75))
    mask, edge = ink_mask(digit, height, round(0.85 * size[0]), rng)
    rendered = photograph(mask, size, rng)
    rendered.params = {"mnist_test_index": index, "digit_px": mask.height, "edge": edge, **rendered.params}
    return rendered


def make_scan(pool: MnistPool, rng: np.random.Generator, label: int, max_side: int | None) -> Rendered:
    """A flatbed scan of a handwritten test digit: 100-600 px, clean and high-contrast."""
    index, digit = pool.pick(rng, label)
    size = canvas_size(rng, *SIDES, max_side, aspect=(0.75, 1.35))
    height = round(min(size) * rng.uniform(0.3, 0.8))
    mask, edge = ink_mask(digit, height, round(0.85 * size[0]), rng)
    rendered = scan(mask, size, rng)
    rendered.params = {"mnist_test_index": index, "digit_px": mask.height, "edge": edge, **rendered.params}
    return rendered
