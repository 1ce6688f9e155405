"""Log garbage-collection passes slow enough to show in tail latency.

A collection stops the whole worker: its event loop, and the batcher's thread as soon as it needs the
GIL. A pass that takes tens of milliseconds holds every request in flight that long, and can fill the
admission limit. Each pass over ``threshold_ms`` of wall-clock time is logged as a warning with its
generation, its wall-clock and CPU milliseconds: a pass with little CPU time was not slow work but a
worker that the OS did not run (other processes on the cores). In 10-minute soaks on two shared
cores, gen-0 passes of a few hundred objects took up to 86 ms of wall-clock time and, once the CPU
time was logged too, 1-2 ms of CPU in 22-42 ms; no burst of refusals came with a slow pass. The check
costs two ``perf_counter`` reads and one ``thread_time`` read per collection (a second ``thread_time``
read for a slow one), on every pass, so the app installs it only when ``DIGITS_SLOW_GC_MS`` is set.
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
        self._started = self._started_cpu = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started, self._started_cpu = time.perf_counter(), time.thread_time()
            return
        took_s = time.perf_counter() - self._started
        if took_s >= self.threshold_s:
            log.warning(
                "slow garbage collection",
                extra={
                    "generation": info["generation"],
                    "ms": round(took_s * 1000, 1),
                    "cpu_ms": round((time.thread_time() - self._started_cpu) * 1000, 1),
                    "collected": info["collected"],
                    "uncollectable": info["uncollectable"],
                },
            )

    def install(self) -> Callable[[], None]:
        """Start watching; returns the function that stops it."""
        gc.callbacks.append(self)
        return lambda: gc.callbacks.remove(self)
