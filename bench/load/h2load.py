"""Drive a server with ``h2load`` (nghttp2's load generator) and tally its per-request log by status.

The overload part's generator. h2load runs many HTTP/1.1 clients, each at a fixed request rate
(``--rps``), on one event loop in C++, and ``--log-file`` writes one line per answered request: when it
was sent, its status and its latency. hey (Go, see ``bench.load.hey``) gave the same figures per request
but cost far more of the cores it shares with the server under test: against a server that only
refuses (``bench.servers.floor``), hey's 1,024 workers saw the 503s at p99 324-892 ms in the overload
runs before the switch, h2load's clients at 114-159 ms in the runs since (README, Overload). An
overload benchmark whose generator is slower than the target it judges cannot judge it.

Like hey's CSV, the log has no line for a request without an answer (connection refused or reset, or
closed after ``-N`` seconds without any data), and h2load exits 0 regardless. Each client sends an
exact share of ``-n``, so every planned request without a line counts as ``FAILED``, or ``CUT_OFF`` if
h2load had to be stopped at the deadline. A client whose answer is late sends its missed requests as
soon as it can, so a server that holds requests stretches the run instead of lowering the total.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.load.plan import Load, Run, Tally, wait_or_stop, workers_for


def plan(url: str, body_file: Path, content_type: str, rate: float, duration_s: float) -> Load:
    """About ``rate`` req/s for ``duration_s`` from one h2load process (``bench.load.plan.workers_for``)."""
    workers, qps = workers_for(rate)
    return Load(url, body_file, content_type, workers, qps, max(1, round(qps * duration_s)))


def h2load_path() -> str | None:
    return shutil.which("h2load")


def command(h2load: str, load: Load, log: Path) -> list[str]:
    return [
        h2load, "--h1", "-c", str(load.workers), "-n", str(load.planned), "--rps", f"{load.qps:.6g}",
        "-N", f"{load.timeout_s}s", "-d", str(load.body_file), "-H", f"content-type: {load.content_type}",
        "--log-file", str(log), load.url,
    ]  # fmt: skip


def read_log(lines: list[str], tally: Tally, origin_epoch_s: float) -> int:
    """Add h2load's log lines (``<sent, µs since the epoch>\\t<status>\\t<latency, µs>``) to ``tally``,
    their send times as seconds after ``origin_epoch_s``; return how many answers."""
    count = 0
    for line in lines:
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"not an h2load log line (another h2load version?): {line!r}")
        sent_us, status, latency_us = (int(f) for f in fields)
        tally.add(str(status), latency_us / 1e6, sent_us / 1e6 - origin_epoch_s)
        count += 1
    return count


def run(load: Load, work_dir: Path, deadline_s: float | None = None) -> Run:
    """Run ``load``; past ``deadline_s`` (default: 2 x its duration + its timeout + 30 s), stop h2load
    (its missing answers are cut off)."""
    h2load = h2load_path()
    if h2load is None:
        raise FileNotFoundError("h2load is not installed (apt-get install -y nghttp2-client)")
    work_dir.mkdir(parents=True, exist_ok=True)
    log, err = work_dir / "h2load.log", work_dir / "h2load.err"
    log.unlink(missing_ok=True)  # h2load appends
    if deadline_s is None:
        deadline_s = 2 * load.duration_s + load.timeout_s + 30
    origin, origin_epoch = time.perf_counter(), time.time()
    with (work_dir / "h2load.out").open("wb") as out, err.open("wb") as errors:
        popen = subprocess.Popen(command(h2load, load, log), stdout=out, stderr=errors)
        try:
            cut = wait_or_stop(popen, origin + deadline_s, 5.0)
        finally:  # on an error or Ctrl-C here, no h2load is left running
            if popen.poll() is None:
                popen.kill()
                popen.wait()
    if popen.returncode != 0 and not cut:
        message = err.read_text(errors="replace").strip().splitlines()
        raise RuntimeError(f"h2load failed ({popen.returncode}): {message[0] if message else 'no message'}")
    tally = Tally()
    lines = log.read_text().splitlines() if log.exists() else []
    if cut:
        lines = lines[:-1]  # possibly half written when h2load was stopped
    tally.count_unanswered(load.planned, read_log(lines, tally, origin_epoch), cut)
    return Run(load, tally, origin, cut)
