"""When the overload part says latency was back to normal, from (time since stop, latency) probes."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("aiohttp", reason="bench.overload's load generator needs aiohttp (pip install aiohttp)")

from bench.overload import recovery_time, summarize

THRESHOLD_S = 0.010


def test_recovery_starts_at_the_first_of_three_normal_probes_in_a_row() -> None:
    probes = [(0.0, 0.5), (0.1, 0.005), (0.2, 0.5), (0.3, 0.004), (0.4, 0.006), (0.5, 0.003)]
    assert recovery_time(probes, THRESHOLD_S) == 0.3, "a single fast probe amid slow ones is not recovery"


def test_no_recovery_when_probes_never_settle_or_fail() -> None:
    assert recovery_time([(0.0, 0.005), (0.1, math.inf), (0.2, 0.005)], THRESHOLD_S) is None
    assert recovery_time([], THRESHOLD_S) is None


def test_summary_separates_503_latency_from_successes() -> None:
    results = [("200", 0.100)] * 10 + [("503", 0.002)] * 10 + [("timeout", 30.0)]
    summary = summarize(results, 100.0, 2.0, 0.5, 0.001, THRESHOLD_S, [(0.0, 0.001)] * 3)
    assert summary.statuses == {"200": 10, "503": 10, "timeout": 1}
    assert summary.ok_p99_ms is not None and abs(summary.ok_p99_ms - 100.0) < 1e-6
    assert summary.rejected_p99_ms is not None and abs(summary.rejected_p99_ms - 2.0) < 1e-6
    assert summary.offered_rps == 21 / 2.0
    assert summary.recovery_s == 0.0
