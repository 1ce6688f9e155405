"""bench.report's overload section: every run the part makes is printed with its own figures."""

from __future__ import annotations

from typing import Any

from bench.report import overload_lines


def _run(ok_p99: float, rejected_p99: float, recovery_s: float | None) -> dict[str, Any]:
    return {
        "target_rps": 400.0, "offered_rps": 300.0, "duration_s": 5.0, "statuses": {"200": 10, "503": 90},
        "ok_p50_ms": 5.0, "ok_p99_ms": ok_p99, "rejected_p50_ms": 1.0, "rejected_p99_ms": rejected_p99,
        "drain_s": 0.01, "threshold_ms": 8.0, "baseline_ms": 4.0, "recovery_s": recovery_s,
    }  # fmt: skip


def test_the_direct_run_nginx_run_logged_refusals_and_floors_all_show() -> None:
    overload = {
        "saturation_rps": 100.0,
        "queue_images": None,
        **_run(ok_p99=700.0, rejected_p99=4000.0, recovery_s=0.5),
        "service_logged_503": {"count": 90, "p50_ms": 0.2, "p99_ms": 2.0, "max_ms": 80.0},
        "via_nginx": {"max_inflight": 128, **_run(ok_p99=900.0, rejected_p99=285.0, recovery_s=None)},
        "generator_floor": {"offered_rps": 400.0, "statuses": {"503": 100}, "rejected_p50_ms": 55.0,
                            "rejected_p99_ms": 343.0},
        "floor_while_busy": {"offered_rps": 390.0, "statuses": {"503": 98}, "rejected_p50_ms": 61.0,
                             "rejected_p99_ms": 98.0, "service_rps": 1626.4},
    }  # fmt: skip
    lines = overload_lines(overload).splitlines()
    assert "503: p50 1.0 ms, p99 4000.0 ms" in lines[2], "the direct run's 503s"
    assert lines[3].endswith("after 0.50 s")
    assert lines[4].endswith("90, p50 0.2 ms, p99 2.0 ms, max 80.0 ms"), "the service's own timing"
    assert lines[5].startswith("through deploy/nginx.conf (at most 128 POSTs in flight)")
    assert "p99 285.0 ms" in lines[7]
    assert lines[8].endswith("not back under 8.0 ms (idle 4.0 ms) within the probing window")
    assert lines[9].endswith("503: p50 55.0 ms, p99 343.0 ms"), "the generator floor"
    assert "the service kept at 1626 req/s by wrk): offered 390 req/s" in lines[10]
    assert lines[10].endswith("503: p50 61.0 ms, p99 98.0 ms"), "the floor while the service is busy"


def test_parts_left_out_leave_no_lines() -> None:
    overload = {"saturation_rps": 100.0, "queue_images": 64, **_run(700.0, 4000.0, 0.5)}
    assert len(overload_lines(overload).splitlines()) == 4
