"""Drive one server with wrk at one concurrency level and read back ``predict.lua``'s JSON summary."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent / "predict.lua"
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Point:
    """One wrk run: throughput counts only 2xx answers; errors are every other answer or socket error."""

    concurrency: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    requests: int
    duration_s: float


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    url: str,
    body_file: Path,
    content_type: str,
    connections: int,
    duration_s: float,
    pin_cpus: str | None = None,
    timeout_s: float = 10.0,
) -> Point:
    """Run ``wrk -t1 -c<connections>`` against ``url`` for ``duration_s`` and parse its summary.

    One wrk thread keeps the client's share of the two cores small; ``pin_cpus`` runs it under
    ``taskset -c``.
    """
    wrk = wrk_path()
    if wrk is None:
        raise FileNotFoundError("wrk is not installed (apt-get install -y wrk)")
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", f"--timeout={timeout_s:g}s"]
    command += ["-s", str(LUA_SCRIPT), url, "--", str(body_file), content_type]
    if pin_cpus is not None:
        command = ["taskset", "-c", pin_cpus, *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + timeout_s + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_summary(done.stdout, connections)


def parse_summary(stdout: str, connections: int) -> Point:
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no {MARKER.strip()} line:\n{stdout}")
    summary = json.loads(lines[-1][len(MARKER) :])
    statuses: dict[str, int] = summary["statuses"]
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    duration_s = summary["duration_us"] / 1e6
    percentiles = summary["latency_us"]["percentiles"]
    return Point(
        concurrency=connections,
        rps=ok / duration_s,
        p50_ms=percentiles["50"] / 1000,
        p90_ms=percentiles["90"] / 1000,
        p99_ms=percentiles["99"] / 1000,
        errors=summary["requests"] - ok + sum(summary["socket_errors"].values()),
        statuses=statuses,
        requests=summary["requests"],
        duration_s=duration_s,
    )
