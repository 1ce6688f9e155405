"""Closed-loop load with ``h2load``: ``c`` connections, one request in flight on each, for a duration.

The protocol comparison's generator (``bench.protocols``): it speaks HTTP/1.1 (``--h1``) to the REST
routes and HTTP/2 without TLS (h2c) to the gRPC port, so REST and gRPC are driven by the same C++
event loop, the way wrk drives the sweeps. A gRPC call is a POST of a pre-encoded, length-prefixed
message with ``content-type: application/grpc`` and ``te: trailers``.

h2load sees HTTP statuses only. A gRPC call that fails still has HTTP status 200 (its grpc-status
comes in the trailers), so the caller must count gRPC failures another way: the benchmark reads them
from the service's own metrics. ``--log-file`` gives one line per answered request of the measured
phase (the warm-up is left out), from which the percentiles come.

The generator's CPU time is measured too (its process's user + system time), so a run can show that
the client was not what limited it.
"""

from __future__ import annotations

import re
import resource
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.load.bodies import Body
from bench.load.h2load import h2load_path
from bench.load.wrk import Point

_REQUESTS = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout")  # fmt: skip


@dataclass(frozen=True)
class ClosedRun:
    point: Point
    client_cpu_s: float
    """h2load's user + system CPU seconds, warm-up included."""
    wall_s: float
    """Warm-up + measured duration."""


def command(
    h2load: str, url: str, body_file: Path, body: Body, connections: int, duration_s: float, warmup_s: float
) -> list[str]:
    h2 = body.content_type.startswith("application/grpc")
    cmd = [h2load, *(["-m", "1"] if h2 else ["--h1"]), "-c", str(connections), "-D", f"{duration_s:g}"]
    if warmup_s > 0:
        cmd += ["--warm-up-time", f"{warmup_s:g}"]
    cmd += ["-d", str(body_file), "-H", f"content-type: {body.content_type}"]
    for name, value in body.headers:
        cmd += ["-H", f"{name}: {value}"]
    return cmd


def run(
    url: str,
    body: Body,
    body_file: Path,
    connections: int,
    duration_s: float,
    warmup_s: float,
    work_dir: Path,
) -> ClosedRun:
    """Drive ``url`` with ``body`` from ``connections`` connections for ``warmup_s`` + ``duration_s``."""
    h2load = h2load_path()
    if h2load is None:
        raise FileNotFoundError("h2load is not installed (apt-get install -y nghttp2-client)")
    work_dir.mkdir(parents=True, exist_ok=True)
    log = work_dir / "h2load-closed.log"
    log.unlink(missing_ok=True)  # h2load appends
    cmd = [
        *command(h2load, url, body_file, body, connections, duration_s, warmup_s),
        "--log-file",
        str(log),
        url,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=duration_s + warmup_s + 60, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"h2load failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    point = summarise(log.read_text().splitlines(), done.stdout, connections, duration_s)
    return ClosedRun(point, cpu_s, duration_s + warmup_s)


def summarise(lines: list[str], stdout: str, connections: int, duration_s: float) -> Point:
    """A wrk-style :class:`Point` from h2load's log (``sent µs, status, latency µs`` per line) and summary.

    Throughput counts 2xx answers; errors are every other answer plus h2load's failed, errored and
    timed-out requests."""
    statuses: Counter[str] = Counter()
    latencies = np.empty(len(lines))
    for k, line in enumerate(lines):
        _, status, latency_us = line.split("\t")
        statuses[status] += 1
        latencies[k] = int(latency_us) / 1000
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    match = _REQUESTS.search(stdout)
    unanswered = sum(int(g) for g in match.groups()[4:]) if match else 0
    p50, p90, p99 = np.percentile(latencies, [50, 90, 99]) if len(lines) else (np.nan, np.nan, np.nan)
    return Point(
        concurrency=connections,
        rps=ok / duration_s,
        p50_ms=float(p50),
        p90_ms=float(p90),
        p99_ms=float(p99),
        errors=len(lines) - ok + unanswered,
        statuses=dict(statuses),
        requests=len(lines) + unanswered,
        duration_s=duration_s,
    )
