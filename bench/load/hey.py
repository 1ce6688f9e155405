"""Drive a server with ``hey`` (rate-limited workers) and tally its per-answer CSV by status.

hey's ``-o csv`` lists only requests that got an HTTP answer: one that failed (connection refused or
reset, ``-t`` timeout) leaves no line, and hey still exits 0. So we use ``-n``, never ``-z``: each
worker sends exactly ``n / c`` requests, and every planned request without a line counts as
``FAILED`` (or ``CUT_OFF`` if hey had to be stopped at the deadline; see ``bench.load.plan``).
hey's workers tick in step, so one process sends all its workers' requests in one burst: a load is
split over several processes started a fraction of the tick period apart.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.load.plan import Load, Run, Tally, wait_or_stop, workers_for

HEADER = ["response-time", "DNS+dialup", "DNS", "Request-write", "Response-delay", "Response-read",
          "status-code", "offset"]  # fmt: skip
MAX_ROWS = 1_000_000
"""hey keeps (and prints) at most this many answers per process; more would look like failures."""
WORKERS_PER_PROCESS = 32
"""A process's workers tick together: 32 arrive at once, not 128 (which filled the 128-request
admission limit of a worker during a soak at 70% of saturation and drew 503s)."""
NICE = 10
"""hey runs at this lower CPU priority, so on a machine it shares with the server under test a dozen
hey processes waking at once wait for the cores instead of the server; that waiting counts in hey's
own latency figures, which can only make them worse, never better. Added after two 10-minute soaks
each drew one short burst of 503s with no slow work in the service; its effect alone was not
separated: the first niced soak still drew bursts, from its back-to-back hey runs (see bench.soak)."""


def plan(url: str, body_file: Path, content_type: str, rate: float, duration_s: float) -> Load:
    """About ``rate`` req/s for ``duration_s`` (``bench.load.plan.workers_for``); a hey worker skips the ticks
    it misses while it waits. Processes of at most ``WORKERS_PER_PROCESS`` keep the bursts small and
    stay below hey's 500 pooled connections per process (more would re-dial on every request).
    """
    workers, qps = workers_for(rate)
    return Load(
        url, body_file, content_type, workers, qps, max(1, round(qps * duration_s)),
        math.ceil(workers / WORKERS_PER_PROCESS),
    )  # fmt: skip


def hey_path() -> str | None:
    return shutil.which("hey")


def niced(argv: list[str]) -> list[str]:
    """``argv`` run under ``nice -n NICE`` (every thread of the process inherits it)."""
    return ["nice", "-n", str(NICE), *argv]


def command(hey: str, load: Load, workers: int) -> list[str]:
    """One hey process with ``workers`` of ``load``'s workers."""
    sizes = ["-n", str(workers * load.requests), "-c", str(workers), "-q", f"{load.qps:.6g}"]
    post = _post(load.content_type, load.body_file)
    return [hey, *sizes, *post, "-t", str(load.timeout_s), *CSV, load.url]


CSV = ["-o", "csv", "-disable-compression"]


def _post(content_type: str, body_file: Path) -> list[str]:
    return ["-m", "POST", "-T", content_type, "-D", str(body_file)]


def read_csv(lines: Iterable[str], tally: Tally, shift_s: float = 0.0) -> int:
    """Add hey's CSV lines to ``tally`` (offsets moved by ``shift_s``); return how many answers."""
    rows = csv.reader(lines)
    header = next(rows, None)
    if header != HEADER:
        raise ValueError(f"not hey's CSV (another hey version?): header {header}, expected {HEADER}")
    count = 0
    for row in rows:
        tally.add(row[6], float(row[0]), float(row[7]) + shift_s)
        count += 1
    return count


@dataclass(frozen=True)
class _Process:
    popen: subprocess.Popen[bytes]
    planned: int
    shift_s: float
    """When it started, after the run's origin."""
    files: Path
    """Its output goes to ``<files>.csv`` and ``<files>.err``."""


def run(
    load: Load, work_dir: Path, tally: Tally | None = None, origin: float | None = None, grace_s: float = 30.0
) -> Run:
    """Run ``load``; past ``2 x duration + timeout + grace_s`` stop hey (SIGINT: it prints what it has)."""
    hey = hey_path()
    if hey is None:
        raise FileNotFoundError("hey is not installed (apt-get install -y hey)")
    if max(load.shares()) * load.requests > MAX_ROWS:
        raise ValueError(f"over {MAX_ROWS} requests per hey process: use more processes or a shorter run")
    work_dir.mkdir(parents=True, exist_ok=True)
    tally = Tally() if tally is None else tally
    started = time.perf_counter()
    origin = started if origin is None else origin
    procs: list[_Process] = []
    try:
        for k, workers in enumerate(load.shares()):
            time.sleep(max(0.0, started + k / (load.qps * load.processes) - time.perf_counter()))
            argv = command(hey, load, workers)
            procs.append(_start(argv, workers * load.requests, origin, work_dir / f"hey-{k}"))
        deadline = started + 2 * load.duration_s + load.timeout_s + grace_s
        stopped = [wait_or_stop(p.popen, deadline, load.timeout_s + grace_s) for p in procs]
    finally:  # on an error or Ctrl-C here, no hey is left running
        for p in procs:
            if p.popen.poll() is None:
                p.popen.kill()
                p.popen.wait()
    for proc, cut in zip(procs, stopped, strict=True):
        _collect(proc, cut, tally)
    return Run(load, tally, origin, any(stopped))


def _start(argv: list[str], planned: int, origin: float, files: Path) -> _Process:
    with files.with_suffix(".csv").open("wb") as out, files.with_suffix(".err").open("wb") as err:
        popen = subprocess.Popen(niced(argv), stdout=out, stderr=err)
    return _Process(popen, planned, time.perf_counter() - origin, files)


def _collect(proc: _Process, cut: bool, tally: Tally) -> None:
    """Add one process's answers; its planned requests without an answer are failed (or cut off)."""
    code = proc.popen.returncode
    if code != 0 and not cut:
        error = proc.files.with_suffix(".err").read_text(errors="replace").strip()
        raise RuntimeError(f"hey failed ({code}): {error.splitlines()[0] if error else 'no message'}")
    answered = 0
    if code == 0:  # killed: what it wrote is not to be trusted
        with proc.files.with_suffix(".csv").open(newline="") as lines:
            answered = read_csv(lines, tally, proc.shift_s)
    tally.count_unanswered(proc.planned, answered, cut)


def closed_loop_rps(url: str, body_file: Path, content_type: str, connections: int, seconds: float) -> float:
    """2xx answers per second with ``connections`` workers sending back to back: saturation as hey sees it.

    Measured with the generator that then drives the load, so its own share of the cores is accounted
    for (hey reached ~10% less than wrk against the same server).
    """
    hey = hey_path()
    if hey is None:
        raise FileNotFoundError("hey is not installed (apt-get install -y hey)")
    post = _post(content_type, body_file)
    argv = [hey, "-z", f"{max(1, round(seconds))}s", "-c", str(connections), *post, *CSV, url]
    done = subprocess.run(niced(argv), capture_output=True, text=True, timeout=seconds + 60, check=True)
    tally = Tally()
    read_csv(done.stdout.splitlines(), tally)
    ok = sum(n for status, n in tally.statuses.items() if status.startswith("2"))
    return ok / max(1, round(seconds))
