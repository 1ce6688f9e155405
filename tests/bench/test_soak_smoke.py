"""The soak script end to end for a few seconds, and its verdict from known numbers (no speed asserted)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench.load.plan import FAILED, Tally
from bench.rss import tree_rss_bytes
from bench.soak import main, summarize


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("hey") is None, reason="hey is not installed (apt-get install -y hey)")
def test_a_short_soak_reports_requests_latency_and_memory(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    argv = ["--duration", "2", "--warmup", "1", "--saturation-s", "1"]
    result = main([*argv, "--sample-s", "0.5", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["requests"] == result.requests > 0, "hey sent nothing"
    assert result.saturation_rps and result.rate_rps == pytest.approx(0.7 * result.saturation_rps)
    assert sum(result.statuses.values()) == result.requests, "every request is an answer or an error"
    assert result.statuses.get("200", 0) > 0, f"no request succeeded: {result.statuses}"
    assert result.p50_ms is not None and result.p99_ms is not None and result.p50_ms <= result.p99_ms
    assert len(result.rss_samples_mb) >= 3, "RSS was not sampled during the soak"
    assert result.rss_start_mb > 50, "the service with onnxruntime loaded cannot use under 50 MB"
    assert set(saved["verdict"]) == {"errors == 0", "rss growth < 10%"}


def tally(statuses: dict[str, list[float]]) -> Tally:
    result = Tally()
    for status, latencies in statuses.items():
        for latency in latencies:
            result.add(status, latency, 0.0)
    return result


def test_verdict_fails_on_errors_and_on_memory_growth() -> None:
    ok = {"200": [0.010] * 99 + [0.100]}
    passed = summarize(tally(ok), [(0.0, 100.0), (5.0, 105.0)], 100.0, 70.0, 5.0, 8)
    assert passed.verdict == {"errors == 0": "PASS", "rss growth < 10%": "PASS"}
    assert passed.rss_growth_pct == pytest.approx(5.0) and passed.requests == 100
    bad = tally({**ok, "503": [0.001]})
    bad.statuses[FAILED] += 1
    failed = summarize(bad, [(0.0, 100.0), (5.0, 111.0)], None, 70, 5, 8)
    assert failed.errors == 2, "a 503 and a request without an answer are both errors"
    assert failed.requests == 102 and failed.statuses[FAILED] == 1
    assert failed.verdict == {"errors == 0": "FAIL", "rss growth < 10%": "FAIL"}


def test_answers_to_warm_up_requests_are_left_out_of_the_tally() -> None:
    counted = Tally(since_s=10.0)
    counted.add("503", 0.001, 9.99)  # sent during the warm-up
    counted.add("200", 0.020, 10.0)
    counted.add("200", 0.030, 25.0)
    assert dict(counted.statuses) == {"200": 2}
    assert counted.first_sent_s == 10.0 and counted.last_answer_s == pytest.approx(25.03)


def test_rss_of_this_process_is_counted() -> None:
    assert tree_rss_bytes(os.getpid()) > 10 * 2**20, "a Python process with pytest loaded has > 10 MB RSS"
