"""training/outliers.py: a deterministic bank of framed non-digits, every kind present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.idx import load_images
from training.outliers import KINDS, frame, outlier_bank


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> np.ndarray:
    return load_images(mnist_dir / "train-images-idx3-ubyte.gz")[:200]


def test_the_bank_is_framed_like_mnist_and_deterministic(digits: np.ndarray) -> None:
    bank = outlier_bank(40, seed=3, digits=digits)
    assert bank.shape == (40, 28, 28) and bank.dtype == np.uint8
    assert np.array_equal(bank, outlier_bank(40, seed=3, digits=digits)), "same seed, same bank"
    assert not np.array_equal(bank, outlier_bank(40, seed=4, digits=digits))
    for image in bank:
        rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21), "longer side 20 px"
        assert image.max() == 255
        weights = image.astype(float) / image.sum()
        centre = (np.indices(image.shape) * weights).sum(axis=(1, 2))
        assert np.all(np.abs(centre - 14) <= 1.5), f"centre of mass {centre}"


def test_kinds_take_turns(digits: np.ndarray) -> None:
    bank = outlier_bank(len(KINDS) * 3, seed=0, digits=digits).astype(float) / 255
    numbers = bank[KINDS.index("number") :: len(KINDS)]
    # several digits side by side, squeezed to 20 px wide: wider than tall
    for image in numbers:
        rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
        assert cols[-1] - cols[0] > rows[-1] - rows[0]


def test_frame_of_an_empty_picture_is_empty() -> None:
    assert not frame(np.zeros((50, 50))).any()


def test_the_outlier_loss_is_smallest_for_a_uniform_answer() -> None:
    import math

    import torch

    from training.train import outlier_loss

    assert outlier_loss(torch.zeros(4, 10)).item() == pytest.approx(math.log(10), abs=1e-6)
    confident = torch.zeros(4, 10)
    confident[:, 3] = 8.0
    assert outlier_loss(confident).item() > 5.0
