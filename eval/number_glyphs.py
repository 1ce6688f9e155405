"""The digits of a written number, as ink masks, from one of three sources.

- ``mnist``: handwriting from the MNIST **test** set, pen-edged (``eval.family_mnist.ink_mask``);
- ``stroke``: the pen-stroke templates (``eval.family_stroke``), bent and slanted per digit, drawn
  with one pen for the whole number;
- ``font``: one font and weight for the whole number (``eval.family_font``).

Digits of one number are about the same height (within 8 %), as people write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from eval.compose import log_uniform
from eval.family_font import find_fonts, render_digit
from eval.family_mnist import MnistPool, ink_mask
from eval.family_stroke import draw, sketch

SOURCES = ("mnist", "stroke", "font")
HEIGHTS = (28, 110)  # px, the digit height of a number's ink mask
SIZE_JITTER = 0.08


@dataclass(frozen=True)
class Sources:
    """What the digits are drawn from: MNIST test digits and fonts."""

    pool: MnistPool
    fonts: list[Path]

    @classmethod
    def load(cls, mnist_dir: Path, font_dir: Path) -> Sources:
        fonts = find_fonts(font_dir)
        if not fonts:
            raise ValueError(f"no TrueType font with ten distinct digits under {font_dir}")
        return cls(MnistPool.load(mnist_dir), fonts)

    def glyphs(
        self, source: str, digits: list[int], rng: np.random.Generator
    ) -> tuple[list[Image.Image], float, dict[str, object]]:
        """One ink mask per digit, the pen width in px, and what was drawn."""
        height = round(log_uniform(rng, *HEIGHTS))
        sizes = [max(10, round(height * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER))) for _ in digits]
        if source == "mnist":
            return self._mnist(digits, sizes, rng)
        if source == "stroke":
            return _strokes(digits, sizes, rng)
        if source == "font":
            return self._font(digits, sizes, rng)
        raise ValueError(f"unknown source {source!r}; choose from {SOURCES}")

    def _mnist(
        self, digits: list[int], sizes: list[int], rng: np.random.Generator
    ) -> tuple[list[Image.Image], float, dict[str, object]]:
        picks = [self.pool.pick(rng, d) for d in digits]
        glyphs = [
            ink_mask(pixels, size, round(1.2 * size), rng)[0]
            for (_, pixels), size in zip(picks, sizes, strict=True)
        ]
        params: dict[str, object] = {
            "mnist_test_indices": [index for index, _ in picks],
            "digit_px": sizes[0],
        }
        return glyphs, 0.11 * sizes[0], params

    def _font(
        self, digits: list[int], sizes: list[int], rng: np.random.Generator
    ) -> tuple[list[Image.Image], float, dict[str, object]]:
        path = self.fonts[int(rng.integers(len(self.fonts)))]
        bold = 0.0 if rng.random() < 0.6 else float(rng.uniform(0.01, 0.05))
        size = sizes[0]  # printed digits share one size
        glyphs = [render_digit(path, d, size, bold, 0.0) for d in digits]
        return glyphs, (0.1 + bold) * size, {"font": path.stem, "bold": round(bold, 3), "digit_px": size}


def _strokes(
    digits: list[int], sizes: list[int], rng: np.random.Generator
) -> tuple[list[Image.Image], float, dict[str, object]]:
    pen = max(1.5, sizes[0] * log_uniform(rng, 0.05, 0.15))
    antialias = bool(rng.random() < 0.7)
    glyphs = [draw(sketch(rng, d)[0], size, pen, antialias) for d, size in zip(digits, sizes, strict=True)]
    return glyphs, pen, {"pen_px": round(pen, 1), "antialias": antialias, "digit_px": sizes[0]}
