"""bench.load.h2load: reading its log, the commands it builds, and that no failed request passes for a
success."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import h2load
from bench.load.plan import CUT_OFF, FAILED, MAX_WORKERS, WORKER_QPS, Load, Tally
from bench.servers import launch

# Captured from h2load 1.52.0 (`--h1 -c 4 -n 20 --rps 10.5 --log-file`) against the service.
SAMPLE = ["1795973117095620\t200\t2636", "1795973117095577\t503\t5260", "1795973117195611\t200\t5272"]
EPOCH_S = 1795973117.0

needs_h2load = pytest.mark.skipif(
    h2load.h2load_path() is None, reason="h2load is not installed (apt-get install -y nghttp2-client)"
)


def test_log_is_tallied_by_status_with_latency_and_send_time() -> None:
    tally = Tally()
    assert h2load.read_log(SAMPLE, tally, EPOCH_S) == 3
    assert tally.statuses == {"200": 2, "503": 1}
    assert list(tally.of("503")) == [0.00526]
    assert sorted(tally.of("200")) == [0.002636, 0.005272]
    assert tally.first_sent_s == pytest.approx(0.095577) and tally.last_sent_s == pytest.approx(0.195611)


def test_a_line_that_is_not_h2loads_is_refused() -> None:
    with pytest.raises(ValueError, match="not an h2load log line"):
        h2load.read_log(["1795973117095620,200,2636"], Tally(), EPOCH_S)


def test_plan_spreads_the_rate_over_slow_clients() -> None:
    load = h2load.plan("http://h/predict", Path("b"), "image/png", rate=10_000, duration_s=5)
    assert load.workers == MAX_WORKERS and load.qps == pytest.approx(10_000 / MAX_WORKERS)
    assert load.requests == round(load.qps * 5) and load.planned == load.workers * load.requests
    small = h2load.plan("http://h/predict", Path("b"), "image/png", rate=1_001, duration_s=2)
    assert small.workers == 251 and small.qps <= WORKER_QPS and load.processes == 1


def test_command_posts_the_body_file_at_the_planned_rate_and_logs_each_request() -> None:
    load = Load("http://127.0.0.1:8000/predict", Path("/tmp/one.body"), "multipart/x; b=1", 10, 2.5, 4)
    assert h2load.command("/usr/bin/h2load", load, Path("/tmp/h.log")) == [
        "/usr/bin/h2load", "--h1", "-c", "10", "-n", "40", "--rps", "2.5", "-N", "10s",
        "-d", "/tmp/one.body", "-H", "content-type: multipart/x; b=1", "--log-file", "/tmp/h.log",
        "http://127.0.0.1:8000/predict",
    ]  # fmt: skip


def _load(port: int, requests: int = 2, timeout_s: int = 10) -> Load:
    url, body = f"http://127.0.0.1:{port}/predict", Path(__file__)
    return Load(url, body, "text/plain", 2, 10.0, requests, timeout_s=timeout_s)


@needs_h2load
def test_every_answer_is_tallied_with_its_status(tmp_path: Path) -> None:
    with launch.running(launch.floor(), tmp_path) as url:
        load = Load(f"{url}/predict", Path(__file__), "text/plain", 3, 20.0, 4)
        done = h2load.run(load, tmp_path)
    assert done.tally.statuses == {"503": 12} and not done.cut_off
    assert all(0 < latency < 5 for latency in done.tally.of("503"))
    assert 0 <= done.tally.first_sent_s <= done.tally.last_sent_s < 10, "send times count from the start"


@needs_h2load
def test_refused_connections_count_as_failed(tmp_path: Path) -> None:
    done = h2load.run(_load(launch.free_port()), tmp_path)
    assert done.tally.statuses == {FAILED: 4}, "h2load's log had no line for them; all 4 failed"
    assert not done.cut_off


@needs_h2load
def test_timeouts_count_as_failed(tmp_path: Path, silent_port: int) -> None:
    done = h2load.run(_load(silent_port, requests=1, timeout_s=1), tmp_path)
    assert done.tally.statuses == {FAILED: 2}, "no answer within -N 1s is a failure"


@needs_h2load
def test_a_run_past_its_deadline_is_cut_off_and_counted(tmp_path: Path, silent_port: int) -> None:
    # h2load would wait 10 s for the silent server's answers; it is stopped after 1 s.
    done = h2load.run(_load(silent_port), tmp_path, deadline_s=1.0)
    assert done.cut_off
    assert done.tally.statuses == {CUT_OFF: 4}, "unanswered requests are never left out"


@needs_h2load
def test_h2load_refusing_to_run_is_an_error_with_its_message(tmp_path: Path) -> None:
    bad = Load("http://127.0.0.1:1/", tmp_path / "missing.body", "text/plain", 1, 10.0, 1)
    with pytest.raises(RuntimeError, match=r"h2load failed \(1\): -d: Could not open file .*missing\.body"):
        h2load.run(bad, tmp_path)
