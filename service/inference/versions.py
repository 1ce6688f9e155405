"""One loaded model version: its runtime and its own batcher, validated before it may serve.

Validation, in order: the sidecar matches the ONNX file (sha256, I/O names and
shapes, input contract), the session warms up, and the model classifies the
reference digits shipped with the service well enough. Only then is a
version handed to the repository to be swapped in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from service.errors import ModelLoadError
from service.inference.batching import Batcher, BatchObserver
from service.inference.calibration import Calibration
from service.inference.runtime import ModelRuntime, OrtOptions

# A new version must get at least this share of the reference digits right.
MIN_REFERENCE_ACCURACY = 0.9


@dataclass(frozen=True)
class BatchPolicy:
    max_batch_size: int = 64
    max_wait_ms: float = 2.0
    max_queue_images: int = 2048


@dataclass
class LoadedModel:
    """A validated version with its running batcher. ``retired`` once it has been replaced."""

    name: str
    version: int
    runtime: ModelRuntime
    batcher: Batcher
    calibration: Calibration = field(default_factory=Calibration)
    retired: bool = False

    async def classify(self, images: np.ndarray, deadline_s: float | None, label: str = "") -> np.ndarray:
        return await self.batcher.submit(images, deadline_s=deadline_s, label=label)

    async def retire(self, drain_timeout_s: float = 30.0) -> None:
        """Stop taking requests and finish those in flight on this (old) session."""
        self.retired = True
        await self.batcher.stop(drain_timeout_s)


def reference_digits() -> tuple[np.ndarray, np.ndarray]:
    """30 MNIST test digits (3 per class) as ``float32[30, 28, 28]`` in [0, 1], and their labels."""
    with resources.files("service.assets").joinpath("reference_digits.npz").open("rb") as fh:
        data = np.load(fh)
        return data["images"].astype(np.float32) / 255.0, data["labels"].astype(np.int64)


def sanity_check(runtime: ModelRuntime) -> float:
    """Accuracy on the reference digits; raises :class:`ModelLoadError` under the minimum."""
    images, labels = reference_digits()
    accuracy = float((runtime.predict(images).argmax(axis=1) == labels).mean())
    if accuracy < MIN_REFERENCE_ACCURACY:
        raise ModelLoadError(
            f"{runtime.sidecar.name} v{runtime.sidecar.version}: only {accuracy:.0%} of the reference "
            f"digits right (minimum {MIN_REFERENCE_ACCURACY:.0%})"
        )
    return accuracy


async def load_version(
    version_dir: Path, options: OrtOptions, policy: BatchPolicy, observer: BatchObserver | None
) -> LoadedModel:
    """Load, validate and warm a version off the event loop, then start its batcher."""

    def load() -> ModelRuntime:
        runtime = ModelRuntime.load(version_dir, options)
        sanity_check(runtime)
        return runtime

    runtime = await asyncio.to_thread(load)
    batcher = Batcher(
        runtime.predict,
        max_batch_size=policy.max_batch_size,
        max_wait_ms=policy.max_wait_ms,
        max_queue_images=policy.max_queue_images,
        observer=observer,
    )
    await batcher.start()
    spec = runtime.sidecar.calibration
    calibration = Calibration.from_sidecar(spec.model_dump() if spec else None)
    return LoadedModel(runtime.sidecar.name, runtime.sidecar.version, runtime, batcher, calibration)
