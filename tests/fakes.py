"""Fake model runtimes for unit tests: no weights, no onnxruntime.

Each fake is a ``PredictFn`` (float32 [B, 28, 28] -> float32 [B, 10]) that records the batch sizes it
saw. Use :func:`tagged` to build images that carry an id, so a test can check that every caller got
its own rows back: a :class:`SumModel` row is ``[sum of the image, 0, ..., 0]`` and a tagged image sums
to its id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

NUM_CLASSES = 10


def tagged(ids: Sequence[int]) -> np.ndarray:
    """float32 [len(ids), 28, 28] zeros, with pixel (0, 0) of image k set to ids[k]."""
    images = np.zeros((len(ids), 28, 28), dtype=np.float32)
    images[:, 0, 0] = ids
    return images


def sums(images: np.ndarray) -> np.ndarray:
    """The rows a SumModel returns: [sum of the image, 0, ..., 0]."""
    rows = np.zeros((len(images), NUM_CLASSES), dtype=np.float32)
    rows[:, 0] = images.reshape(len(images), -1).sum(axis=1)
    return rows


class SumModel:
    """Row i is [sum of image i, 0, ..., 0]; records every batch size."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def __call__(self, images: np.ndarray) -> np.ndarray:
        self.batch_sizes.append(len(images))
        return sums(images)


class ErrorModel(SumModel):
    """Raises ``error`` on its first ``failures`` calls (every call by default), then sums."""

    def __init__(self, error: Exception | None = None, failures: int = 1_000_000) -> None:
        super().__init__()
        self.error = error if error is not None else ModelCrashed("the fake model crashed")
        self.failures = failures

    def __call__(self, images: np.ndarray) -> np.ndarray:
        rows = super().__call__(images)
        if len(self.batch_sizes) <= self.failures:
            raise self.error
        return rows


class ModelCrashed(Exception):
    """What ErrorModel raises by default: an exception no library would raise by itself."""


class SlowModel(SumModel):
    """Sleeps ``delay_s`` per call, then sums."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def __call__(self, images: np.ndarray) -> np.ndarray:
        time.sleep(self.delay_s)
        return super().__call__(images)


class GatedModel(SumModel):
    """Blocks inside predict until the test calls ``release()``; ``entered`` is set once it is inside.

    Lets a test hold the worker thread busy and build up a known queue behind it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.gate = threading.Event()

    def release(self) -> None:
        self.gate.set()

    def __call__(self, images: np.ndarray) -> np.ndarray:
        self.entered.set()
        if not self.gate.wait(timeout=30):
            raise TimeoutError("GatedModel was never released")
        return super().__call__(images)


class WrongRowsModel(SumModel):
    """Returns one row too many: breaks the batch invariant (rows out == rows in)."""

    def __call__(self, images: np.ndarray) -> np.ndarray:
        rows = super().__call__(images)
        return np.concatenate([rows, rows[:1]])


class RecordingObserver:
    """A BatchObserver that keeps what it was told."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, list[float], float]] = []
        self.labels: list[list[str]] = []  # per batch, the label of each request in it
        self.rejected = 0

    def on_batch(
        self, size: int, queue_wait_s: Sequence[float], infer_s: float, labels: Sequence[str] = ()
    ) -> None:
        self.batches.append((size, list(queue_wait_s), infer_s))
        self.labels.append(list(labels))

    def on_rejected(self) -> None:
        self.rejected += 1
