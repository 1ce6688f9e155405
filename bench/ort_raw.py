"""Raw onnxruntime throughput in this process, with the service's own session options: the ceiling.

The runtime is loaded with :meth:`ModelRuntime.load` from the settings the service would read
(``DIGITS_*``), so ``DIGITS_ORT_INTRA_OP_THREADS=2`` changes both the service and this measurement.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from bench.digits import Digit
from bench.servers.naive import latest_model
from service.config import Settings
from service.inference.runtime import ModelRuntime, OrtOptions


@dataclass(frozen=True)
class OrtPoint:
    batch: int
    images_per_s: float
    ms_per_batch: float


def load_runtime(settings: Settings) -> ModelRuntime:
    """The version the service would serve (pinned, else the highest), with its ORT options."""
    pinned = settings.model_version
    version_dir = settings.model_dir / str(pinned) if pinned else latest_model(settings.model_dir).parent
    options = OrtOptions(settings.provider, settings.ort_intra_op_threads, settings.ort_inter_op_threads)
    return ModelRuntime.load(version_dir, options)


def batch_of(digits: list[Digit], size: int) -> np.ndarray:
    """``size`` real digits (repeated as needed) as the model's float32 input."""
    pixels = np.asarray([d.pixels for d in digits], dtype=np.float32) / 255.0
    return np.ascontiguousarray(np.resize(pixels, (size, 28, 28)))


def time_batch(runtime: ModelRuntime, batch: np.ndarray, duration_s: float) -> float:
    """Seconds per ``predict`` call, averaged over as many calls as fit in ``duration_s`` (at least 3)."""
    runtime.predict(batch)
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < duration_s:
        runtime.predict(batch)
        calls += 1
    return (time.perf_counter() - start) / calls


def measure(
    runtime: ModelRuntime, digits: list[Digit], batches: list[int], duration_s: float, repeats: int
) -> list[OrtPoint]:
    """Median images/s per batch size over ``repeats`` interleaved rounds."""
    inputs = {size: batch_of(digits, size) for size in batches}
    seconds: dict[int, list[float]] = {size: [] for size in batches}
    for _ in range(repeats):
        for size in batches:
            seconds[size].append(time_batch(runtime, inputs[size], duration_s))
    points = []
    for size in batches:
        per_call = statistics.median(seconds[size])
        points.append(OrtPoint(size, size / per_call, per_call * 1000))
    return points
