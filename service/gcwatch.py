"""Log garbage-collection passes slow enough to show in tail latency.

A collection stops the whole worker: its event loop, and the batcher's thread as soon as it needs the
GIL. A pass that takes tens of milliseconds holds every request in flight that long, and can fill the
admission limit (a 10-minute soak at 70% of saturation saw one 200 ms stall of one worker, and 190
refusals, with no other log line to explain it). This module makes such passes visible: each one over
``threshold_ms`` is logged as a warning with its generation and duration. The check costs two calls to
``time.perf_counter`` per collection.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SLOW_GC_MS = 20.0


class SlowCollectionLog:
    """A ``gc.callbacks`` entry that logs collections taking at least ``threshold_ms``."""

    def __init__(self, threshold_ms: float = SLOW_GC_MS) -> None:
        self.threshold_s = threshold_ms / 1000.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took_s = time.perf_counter() - self._started
        if took_s >= self.threshold_s:
            log.warning(
                "slow garbage collection",
                extra={
                    "generation": info["generation"],
                    "ms": round(took_s * 1000, 1),
                    "collected": info["collected"],
                    "uncollectable": info["uncollectable"],
                },
            )

    def install(self) -> Callable[[], None]:
        """Start watching; returns the function that stops it."""
        gc.callbacks.append(self)
        return lambda: gc.callbacks.remove(self)
