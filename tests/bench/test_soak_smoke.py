"""The soak script end to end for a few seconds, and its verdict from known numbers (no speed asserted)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="bench.soak's load generator needs aiohttp (pip install aiohttp)")

from bench.rss import tree_rss_bytes
from bench.soak import main, summarize


@pytest.mark.slow
def test_a_short_soak_reports_requests_latency_and_memory(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    argv = ["--duration", "5", "--warmup", "1", "--saturation-s", "2", "--concurrency", "8"]
    result = main([*argv, "--sample-s", "1", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["requests"] == result.requests > 0, "the open loop sent nothing"
    assert result.saturation_rps and result.rate_rps == pytest.approx(0.7 * result.saturation_rps)
    assert sum(result.statuses.values()) == result.requests
    assert result.p50_ms is not None and result.p99_ms is not None and result.p50_ms <= result.p99_ms
    assert len(result.rss_samples_mb) >= 3, "RSS was not sampled during the soak"
    assert result.rss_start_mb > 50, "the service with onnxruntime loaded cannot use under 50 MB"
    assert set(saved["verdict"]) == {"errors == 0", "rss growth < 10%"}


def test_verdict_fails_on_errors_and_on_memory_growth() -> None:
    ok = [("200", 0.010)] * 99 + [("200", 0.100)]
    passed = summarize(ok, [(0.0, 100.0), (5.0, 105.0)], 100.0, 70.0, 5.0)
    assert passed.verdict == {"errors == 0": "PASS", "rss growth < 10%": "PASS"}
    assert passed.rss_growth_pct == pytest.approx(5.0)
    failed = summarize([*ok, ("503", 0.001), ("timeout", 30.0)], [(0.0, 100.0), (5.0, 111.0)], None, 70, 5)
    assert failed.errors == 2 and failed.statuses["503"] == 1
    assert failed.verdict == {"errors == 0": "FAIL", "rss growth < 10%": "FAIL"}


def test_rss_of_this_process_is_counted() -> None:
    assert tree_rss_bytes(os.getpid()) > 10 * 2**20, "a Python process with pytest loaded has > 10 MB RSS"
