"""The benchmark end to end in --quick mode: the naive server under wrk, raw onnxruntime, the JSON.

No speed is asserted; only that every part ran, measured something, and wrote a complete result.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)"),
]

POINT_KEYS = {
    "concurrency",
    "rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "errors",
    "statuses",
    "requests",
    "duration_s",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    pytest.importorskip("aiohttp", reason="the benchmark's overload generator needs aiohttp")
    from bench import run

    out = tmp_path_factory.mktemp("bench")
    argv = ["--quick", "--only", "naive", "ort", "--concurrency", "4", "--results-dir", str(out)]
    if importlib.util.find_spec("matplotlib") is None:
        argv.append("--no-plot")
    return run.main(argv), out


def test_quick_run_saves_the_result_it_returns(result: tuple[dict[str, Any], Path]) -> None:
    returned, out = result
    saved = json.loads((out / "latest.json").read_text())
    assert saved == returned, "latest.json differs from the result main() returned"
    assert len(list(out.glob("2*.json"))) == 1, "expected one timestamped result file"
    assert saved["command"].startswith("python -m bench.run --quick")
    assert saved["machine"]["logical_cpus"] >= 1


def test_naive_server_was_measured_at_the_requested_concurrency(result: tuple[dict[str, Any], Path]) -> None:
    sweep = result[0]["sweep"]
    assert sweep["payload"] == "png"
    assert list(sweep["medians"]) == ["naive"], "only the naive server was asked for"
    (point,) = sweep["medians"]["naive"]
    assert set(point) == POINT_KEYS
    assert point["concurrency"] == 4
    assert point["rps"] > 0 and point["requests"] > 0, f"no successful requests: {point}"
    assert point["statuses"].get("200", 0) > 0, f"no 200 answers: {point['statuses']}"
    assert 0 < point["p50_ms"] <= point["p99_ms"]


def test_raw_onnxruntime_covers_every_batch_size(result: tuple[dict[str, Any], Path]) -> None:
    ort = result[0]["ort"]
    assert [p["batch"] for p in ort] == [1, 8, 64, 256, 512]
    assert all(p["images_per_s"] > 0 and p["ms_per_batch"] > 0 for p in ort), ort


def test_targets_not_measured_are_marked_not_applicable(result: tuple[dict[str, Any], Path]) -> None:
    targets = {t["name"]: t for t in result[0]["targets"]}
    assert targets["c=64 req/s, service / naive"]["ok"] is None, "the service was not run, so no verdict"
    assert targets["overload: recovery s"]["ok"] is None


def test_plot_is_written_when_matplotlib_is_there(result: tuple[dict[str, Any], Path]) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed")
    assert (result[1] / "latest.png").read_bytes().startswith(b"\x89PNG")
