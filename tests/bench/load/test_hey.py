"""bench.load.hey: reading hey's CSV, the commands it builds, and that no failed request passes for a
success."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pytest

from bench.load import hey
from bench.load.plan import CUT_OFF, FAILED, MAX_WORKERS, WORKER_QPS, Load, Tally
from bench.servers.launch import free_port

# Captured from hey 0.1.4 (`hey -z 1s -c 2 -q 5 -o csv`) from a server answering 503 to every 3rd request.
SAMPLE = """\
response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset
0.0013,0.0002,0.0000,0.0005,0.0005,0.0001,503,0.2080
0.0024,0.0005,0.0000,0.0011,0.0007,0.0000,200,0.2071
0.0011,0.0000,0.0000,0.0000,0.0009,0.0001,200,0.4080
0.0015,0.0000,0.0000,0.0000,0.0012,0.0002,503,0.4082
0.0010,0.0000,0.0000,0.0000,0.0008,0.0000,200,0.6071
0.0011,0.0000,0.0000,0.0000,0.0010,0.0000,200,0.6073
"""

needs_hey = pytest.mark.skipif(hey.hey_path() is None, reason="hey is not installed (apt-get install -y hey)")


def test_csv_is_tallied_by_status_with_latency_and_send_times() -> None:
    tally = Tally()
    assert hey.read_csv(SAMPLE.splitlines(), tally, shift_s=1.0) == 6
    assert tally.statuses == {"200": 4, "503": 2} and tally.sent == 6
    assert list(tally.of("503")) == [0.0013, 0.0015], "503 latencies, in seconds, apart from the 200s"
    assert sorted(tally.of("200", "503")) == sorted([0.0013, 0.0024, 0.0011, 0.0015, 0.0010, 0.0011])
    assert len(tally.of("500")) == 0
    assert (tally.first_sent_s, tally.last_sent_s) == (pytest.approx(1.2071), pytest.approx(1.6073))
    assert tally.last_answer_s == pytest.approx(1.6073 + 0.0011), "the latest answer, shifted by 1 s"


def test_output_that_is_not_heys_csv_is_refused() -> None:
    old = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read\n0.1,0,0,0,0,0\n"
    with pytest.raises(ValueError, match="header"):
        hey.read_csv(old.splitlines(), Tally())
    with pytest.raises(ValueError, match="header"):
        hey.read_csv([], Tally())


def test_plan_spreads_the_rate_over_slow_workers_in_small_processes() -> None:
    load = hey.plan("http://h/predict", Path("b"), "image/png", rate=10_000, duration_s=5)
    per = hey.WORKERS_PER_PROCESS
    assert load.workers == MAX_WORKERS and load.processes == MAX_WORKERS // per
    assert load.workers * load.qps == pytest.approx(10_000)
    assert load.shares() == [per] * (MAX_WORKERS // per) and load.requests == round(load.qps * 5)
    small = hey.plan("http://h/predict", Path("b"), "image/png", rate=1_001, duration_s=2)
    assert small.workers == math.ceil(1_001 / WORKER_QPS) and small.qps <= WORKER_QPS
    assert sum(small.shares()) == small.workers and max(small.shares()) - min(small.shares()) <= 1
    assert small.planned == small.workers * small.requests


def test_command_posts_the_body_file_and_asks_for_csv() -> None:
    load = Load("http://127.0.0.1:8000/predict", Path("/tmp/one.body"), "multipart/x; b=1", 10, 2.5, 4)
    assert hey.command("/usr/bin/hey", load, workers=6) == [
        "/usr/bin/hey", "-n", "24", "-c", "6", "-q", "2.5", "-m", "POST", "-T", "multipart/x; b=1",
        "-D", "/tmp/one.body", "-t", "10", "-o", "csv", "-disable-compression",
        "http://127.0.0.1:8000/predict",
    ]  # fmt: skip


def test_hey_runs_below_the_server_under_test_in_cpu_priority() -> None:
    argv = ["/usr/bin/hey", "-n", "1", "http://127.0.0.1:8000/"]
    assert hey.niced(argv) == ["nice", "-n", "10", *argv]
    niceness = subprocess.run(hey.niced(["nice"]), capture_output=True, text=True, check=True).stdout
    assert int(niceness) == min(19, os.nice(0) + hey.NICE)  # really applied: `nice` alone prints its own


def _load(port: int, requests: int = 2) -> Load:
    body = Path(__file__)
    return Load(f"http://127.0.0.1:{port}/predict", body, "text/plain", 2, 10.0, requests, 1, 1)


@needs_hey
def test_refused_connections_count_as_failed(tmp_path: Path) -> None:
    done = hey.run(_load(free_port()), tmp_path)
    assert done.tally.statuses == {FAILED: 4}, "hey's CSV had no line for them; all 4 failed"
    assert not done.cut_off


@needs_hey
def test_timeouts_count_as_failed(tmp_path: Path, silent_port: int) -> None:
    done = hey.run(_load(silent_port, requests=1), tmp_path)
    assert done.tally.statuses == {FAILED: 2}, "no answer within -t 1 is a failure"


@needs_hey
def test_a_run_past_its_deadline_is_cut_off_and_counted(tmp_path: Path, silent_port: int) -> None:
    # 3 requests per worker, each timing out after 1 s: hey needs 3 s, its deadline is 2 x 0.3 + 1 s.
    done = hey.run(_load(silent_port, requests=3), tmp_path, grace_s=0.0)
    assert done.cut_off
    assert done.tally.statuses == {CUT_OFF: 6}, "unanswered requests are never left out"


@needs_hey
def test_hey_refusing_to_run_is_an_error_with_its_message(tmp_path: Path) -> None:
    missing = Load("http://127.0.0.1:1/", tmp_path / "missing.body", "text/plain", 1, 10.0, 1)
    with pytest.raises(RuntimeError, match=r"missing\.body: no such file"):
        hey.run(missing, tmp_path)


@needs_hey
def test_too_many_answers_for_one_hey_process_are_refused(tmp_path: Path) -> None:
    huge = Load("http://127.0.0.1:1/", Path("b"), "text/plain", 100, 10.0, hey.MAX_ROWS // 50)
    with pytest.raises(ValueError, match="per hey process"):
        hey.run(huge, tmp_path)
