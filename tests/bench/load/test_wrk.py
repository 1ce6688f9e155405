"""Reading wrk's summary line (bench/load/predict.lua's done()): what counts as throughput and as errors."""

from __future__ import annotations

import pytest

from bench.load.wrk import parse_summary
from bench.sweep import median_point

LINE = (
    'BENCH_JSON {"requests": 1000, "duration_us": 2000000, "bytes": 1, '
    '"socket_errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2}, '
    '"latency_us": {"min": 100, "mean": 900.5, "max": 9000, '
    '"percentiles": {"50": 800, "90": 1500, "99": 4000, "99.9": 8000}}, '
    '"statuses": {"200": 900, "503": 95, "500": 5}}'
)


def test_only_2xx_answers_count_as_throughput() -> None:
    point = parse_summary("Running 2s test\n" + LINE + "\n", connections=64)
    assert point.rps == pytest.approx(450.0), "900 answers of 200 in 2 s"
    assert point.errors == 100 + 3, "95 503s + 5 500s + 3 socket errors"
    assert point.statuses == {"200": 900, "503": 95, "500": 5}
    assert (point.p50_ms, point.p90_ms, point.p99_ms) == (0.8, 1.5, 4.0)
    assert point.concurrency == 64


def test_missing_summary_line_is_an_error_that_shows_the_output() -> None:
    with pytest.raises(RuntimeError, match="unable to connect"):
        parse_summary("unable to connect to 127.0.0.1:1", connections=1)


def test_median_over_repeats_sums_errors_so_none_hide() -> None:
    good = parse_summary(LINE.replace('"503": 95, "500": 5', '"503": 0, "500": 0'), 8)
    bad = parse_summary(LINE, 8)
    median = median_point([good, bad, good])
    assert median.rps == good.rps
    assert median.errors == good.errors * 2 + bad.errors
    assert median.statuses["503"] == 95
