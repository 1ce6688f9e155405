"""Concurrency sweeps with wrk: every server at every level, repeated, interleaved, reduced to medians.

Rounds are interleaved (repeat -> concurrency -> server) so that a slow spell on the shared machine
hits every server alike, and ratios between servers come from the same minutes.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.load.wrk import Point, run_wrk

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SweepConfig:
    concurrency: list[int]
    duration_s: float
    warmup_s: float
    repeats: int
    pin_cpus: str | None = None


def sweep(
    urls: dict[str, str],
    body_file: Path,
    content_type: str,
    config: SweepConfig,
    progress: Progress = partial(print, flush=True),
) -> dict[str, dict[int, list[Point]]]:
    """``{server: {concurrency: [one Point per repeat]}}`` for POST ``<url>/predict``."""
    runs: dict[str, dict[int, list[Point]]] = {name: {c: [] for c in config.concurrency} for name in urls}
    for repeat in range(config.repeats):
        for concurrency in config.concurrency:
            for name, url in urls.items():
                target = f"{url}/predict"
                if config.warmup_s > 0:
                    run_wrk(target, body_file, content_type, concurrency, config.warmup_s, config.pin_cpus)
                point = run_wrk(
                    target, body_file, content_type, concurrency, config.duration_s, config.pin_cpus
                )
                runs[name][concurrency].append(point)
                progress(
                    f"  [{repeat + 1}/{config.repeats}] {name:<8} c={concurrency:<4} "
                    f"{point.rps:8.0f} req/s  p50 {point.p50_ms:7.2f} ms  p99 {point.p99_ms:8.2f} ms  "
                    f"errors {point.errors}"
                )
    return runs


def median_point(points: list[Point]) -> Point:
    """Median of each figure over the repeats; errors and status counts are summed, so none hide."""
    statuses: dict[str, int] = {}
    for point in points:
        for status, count in point.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Point(
        concurrency=points[0].concurrency,
        rps=statistics.median(p.rps for p in points),
        p50_ms=statistics.median(p.p50_ms for p in points),
        p90_ms=statistics.median(p.p90_ms for p in points),
        p99_ms=statistics.median(p.p99_ms for p in points),
        errors=sum(p.errors for p in points),
        statuses=statuses,
        requests=sum(p.requests for p in points),
        duration_s=sum(p.duration_s for p in points),
    )


def medians(runs: dict[str, dict[int, list[Point]]]) -> dict[str, list[Point]]:
    return {name: [median_point(points) for points in by_c.values()] for name, by_c in runs.items()}
