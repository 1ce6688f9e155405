"""The overload part's figures from the generator's tally and the recovery probes: what counts, from when."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="bench.overload's recovery probe needs aiohttp (pip install aiohttp)")

from bench.load.plan import FAILED, Load, Run, Tally
from bench.overload import LoggedRefusals, logged_refusals, recovery_time, summarize

THRESHOLD_S = 0.010
LOAD = Load("http://127.0.0.1:1/predict", Path("one.body"), "image/png", 4, 10.0, 6)


def test_recovery_starts_at_the_first_of_three_normal_probes_in_a_row() -> None:
    probes = [(0.0, 0.5), (0.1, 0.005), (0.2, 0.5), (0.3, 0.004), (0.4, 0.006), (0.5, 0.003)]
    assert recovery_time(probes, THRESHOLD_S) == 0.3, "a single fast probe amid slow ones is not recovery"


def test_no_recovery_when_probes_never_settle_or_fail() -> None:
    assert recovery_time([(0.0, 0.005), (0.1, math.inf), (0.2, 0.005)], THRESHOLD_S) is None
    assert recovery_time([], THRESHOLD_S) is None


def overloaded_tally() -> Tally:
    """10 slow 200s and 10 quick 503s sent from 0.1 s to 1.05 s, and 4 requests without an answer."""
    tally = Tally()
    for i in range(10):
        tally.add("200", 0.100, 0.1 + 0.1 * i)
        tally.add("503", 0.002, 0.15 + 0.1 * i)
    tally.statuses[FAILED] += 4
    return tally


def test_summary_separates_503_latency_from_successes_and_counts_failures() -> None:
    done = Run(LOAD, overloaded_tally(), origin=0.0, cut_off=False)
    summary = summarize(done, 24.0, 0.001, THRESHOLD_S, [(0.0, 0.001)] * 3, probe_start_s=1.5)
    assert summary.statuses == {"200": 10, "503": 10, FAILED: 4}, "failed requests must show"
    assert summary.sent == 24
    assert summary.ok_p99_ms == pytest.approx(100.0) and summary.rejected_p99_ms == pytest.approx(2.0)
    assert summary.duration_s == pytest.approx(1.05 - 0.1 + 1 / 24), "first to last send, plus one gap"
    assert summary.offered_rps == pytest.approx(24 / summary.duration_s)
    assert summary.drain_s == pytest.approx(1.0 + 0.1 - 1.05), "the 200 sent at 1.0 s was the last answer"
    assert summary.recovery_s == pytest.approx(1.5 - 1.05), "from the last send until the probes were fine"
    assert (summary.workers, summary.worker_qps, summary.planned_s) == (4, 10.0, 0.6)


def test_no_503_at_all_leaves_its_latency_empty() -> None:
    tally = Tally()
    tally.add("200", 0.01, 0.1)
    summary = summarize(Run(LOAD, tally, 0.0, False), 24.0, 0.001, THRESHOLD_S, [], 0.2)
    assert summary.rejected_p99_ms is None and summary.recovery_s is None


def _access(status: int, latency_ms: float, logger: str = "service.access") -> bytes:
    entry = {"logger": logger, "msg": "request", "status": status, "latency_ms": latency_ms}
    return json.dumps(entry).encode() + b"\n"


def test_logged_refusals_reads_the_service_503s_written_after_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "overload.log"
    before = _access(503, 99.0)  # written before the overload started: not counted
    during = [_access(503, ms) for ms in (1.0, 2.0, 3.0)] + [_access(200, 50.0), _access(503, 7.0, "other")]
    log.write_bytes(before + b"".join(during) + b"INFO:     Shutting down\n" + b'{"status":503,"logger"')
    refusals = logged_refusals(log, offset=len(before))
    assert refusals.count == 3, "only the access log's 503s after the offset count"
    assert (refusals.p50_ms, refusals.max_ms) == (2.0, 3.0)
    assert refusals.p99_ms == pytest.approx(2.98)


def test_no_logged_refusal_leaves_the_figures_empty(tmp_path: Path) -> None:
    log = tmp_path / "overload.log"
    log.write_bytes(_access(200, 1.0))
    assert logged_refusals(log) == LoggedRefusals(count=0, p50_ms=None, p99_ms=None, max_ms=None)
