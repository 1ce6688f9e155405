"""Overload: drive a server well past saturation with h2load for a bounded time; then time its recovery.

wrk cannot report latency per status, so this part uses h2load's per-request log (see
``bench.load.h2load``): ``target_rps`` is spread over many rate-limited clients, every answer is recorded
with its status and latency, so the 503s' latency is measured apart from the successes', and every
request without an answer counts as failed. When the load has stopped and been answered, a probe
sends one request at a time and we report how long until its latency is back to normal
(``threshold_ms``, set from probes before the load).

A client waits for each answer, so a server that holds requests for long also holds clients: the
rate really offered (``offered_rps``) can fall short of the target, and the sending window
(``duration_s``) outlasts ``planned_s`` while held clients send their share late.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np

from bench.load import h2load
from bench.load.bodies import Body
from bench.load.plan import Run

TIMEOUT, CONNECTION_ERROR = "timeout", "connection error"  # a probe's status when it got no answer


@dataclass(frozen=True)
class OverloadResult:
    target_rps: float
    offered_rps: float
    """Requests sent per second of the sending window (held workers fall behind their schedule)."""
    duration_s: float
    """The sending window, first request to last: longer than ``planned_s`` when workers were held."""
    planned_s: float
    sent: int
    statuses: dict[str, int]
    """Answers per HTTP status, plus ``failed`` (no answer) and ``cut off`` (the generator was stopped
    at its deadline)."""
    ok_p50_ms: float | None
    ok_p99_ms: float | None
    rejected_p50_ms: float | None
    rejected_p99_ms: float | None
    drain_s: float
    """From the last request sent until the last answer."""
    baseline_ms: float
    threshold_ms: float
    recovery_s: float | None
    """From the last request sent until the first of three probes in a row under ``threshold_ms``."""
    workers: int
    """Generator clients, each sending at ``worker_qps``."""
    worker_qps: float


async def send(session: aiohttp.ClientSession, url: str, body: Body) -> tuple[str, float]:
    """``(HTTP status, or why there was none; seconds)`` for one POST."""
    start = time.perf_counter()
    try:
        async with session.post(url, data=body.content, headers={"Content-Type": body.content_type}) as r:
            await r.read()
            status = str(r.status)
    except TimeoutError:
        status = TIMEOUT
    except aiohttp.ClientError:
        status = CONNECTION_ERROR
    return status, time.perf_counter() - start


async def probe(
    url: str, body: Body, gap_s: float, max_s: float, threshold_s: float | None = None, streak: int = 3
) -> list[tuple[float, float]]:
    """One request at a time, ``gap_s`` apart, for up to ``max_s``: ``(seconds since start, latency)``.

    With ``threshold_s``, stops early once ``streak`` latencies in a row are under it. A failed probe
    counts as an infinite latency.
    """
    results: list[tuple[float, float]] = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as session:
        start = time.perf_counter()
        while (sent := time.perf_counter() - start) < max_s:
            status, latency = await send(session, url, body)
            results.append((sent, latency if status == "200" else float("inf")))
            if threshold_s is not None and recovery_time(results[-streak:], threshold_s, streak) is not None:
                break
            await asyncio.sleep(gap_s)
    return results


def recovery_time(probes: list[tuple[float, float]], threshold_s: float, streak: int = 3) -> float | None:
    """When the first run of ``streak`` probes in a row under ``threshold_s`` began; None if never."""
    for index in range(len(probes) - streak + 1):
        if all(latency <= threshold_s for _, latency in probes[index : index + streak]):
            return probes[index][0]
    return None


def percentile_ms(latencies: np.ndarray | list[float], q: float) -> float | None:
    return float(np.percentile(latencies, q) * 1000) if len(latencies) else None


def run_overload(
    url: str,
    body: Body,
    body_file: Path,
    target_rps: float,
    duration_s: float,
    work_dir: Path,
    recovery_max_s: float = 30.0,
) -> OverloadResult:
    """Probe the idle server, overload it with h2load, then probe until latency is normal again."""
    idle = asyncio.run(probe(url, body, gap_s=0.01, max_s=1.0))
    baseline_s = statistics.median(latency for _, latency in idle)
    threshold_s = max(2 * baseline_s, baseline_s + 0.002)
    load = h2load.plan(url, body_file, body.content_type, target_rps, duration_s)
    done = h2load.run(load, work_dir / "overload")
    probe_start = time.perf_counter() - done.origin
    probes = asyncio.run(probe(url, body, 0.02, recovery_max_s, threshold_s))
    return summarize(done, target_rps, baseline_s, threshold_s, probes, probe_start)


@dataclass(frozen=True)
class FloorResult:
    """The same load against a server that only refuses: how quickly the generator alone gets its 503s."""

    offered_rps: float
    sent: int
    statuses: dict[str, int]
    rejected_p50_ms: float | None
    rejected_p99_ms: float | None


def run_floor(
    url: str, body_file: Path, content_type: str, target_rps: float, duration_s: float, work_dir: Path
) -> FloorResult:
    """:func:`run_overload`'s load without its probes: a server that only refuses has no latency to
    recover, and its probes (never a 200) would only time out."""
    load = h2load.plan(url, body_file, content_type, target_rps, duration_s)
    done = h2load.run(load, work_dir / "overload")
    rejected = done.tally.of("503")
    return FloorResult(
        offered_rps=done.tally.sent / _window_s(done, target_rps),
        sent=done.tally.sent,
        statuses=dict(done.tally.statuses),
        rejected_p50_ms=percentile_ms(rejected, 50),
        rejected_p99_ms=percentile_ms(rejected, 99),
    )


def _window_s(done: Run, target_rps: float) -> float:
    """The sending window, first request to last; each send stands for 1/target of it (one send alone
    is not a window of 0 s). Without any answer, the planned duration."""
    tally = done.tally
    if tally.last_sent_s < tally.first_sent_s:
        return done.load.duration_s
    return tally.last_sent_s - tally.first_sent_s + 1 / target_rps


def summarize(
    done: Run,
    target_rps: float,
    baseline_s: float,
    threshold_s: float,
    probes: list[tuple[float, float]],
    probe_start_s: float,
) -> OverloadResult:
    """``probe_start_s``: when probing began, on the same clock as the tally's offsets."""
    tally = done.tally
    answered = tally.last_sent_s >= tally.first_sent_s
    window = _window_s(done, target_rps)
    stopped = tally.last_sent_s if answered else done.load.duration_s
    recovered = recovery_time(probes, threshold_s)
    ok, rejected = tally.of(*(s for s in tally.statuses if s.startswith("2"))), tally.of("503")
    return OverloadResult(
        target_rps=target_rps,
        offered_rps=tally.sent / window,
        duration_s=window,
        planned_s=done.load.duration_s,
        sent=tally.sent,
        statuses=dict(tally.statuses),
        ok_p50_ms=percentile_ms(ok, 50),
        ok_p99_ms=percentile_ms(ok, 99),
        rejected_p50_ms=percentile_ms(rejected, 50),
        rejected_p99_ms=percentile_ms(rejected, 99),
        drain_s=max(0.0, tally.last_answer_s - stopped) if answered else 0.0,
        baseline_ms=baseline_s * 1000,
        threshold_ms=threshold_s * 1000,
        recovery_s=None if recovered is None else probe_start_s - stopped + recovered,
        workers=done.load.workers,
        worker_qps=done.load.qps,
    )


@dataclass(frozen=True)
class LoggedRefusals:
    """The service's 503s as its own access log times them: from the request reaching the app to the
    answer being sent. What the generator sees on top (the request waiting to be read by a busy event
    loop, the generator's own delays) is the difference."""

    count: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def logged_refusals(log: Path, offset: int = 0) -> LoggedRefusals:
    """The 503 lines of the service's JSON access log written after byte ``offset`` of ``log``."""
    latencies: list[float] = []  # seconds, as percentile_ms takes them
    with log.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            if b"503" not in line:  # most lines: skip the JSON parse
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line the server was still writing, or not one of the service's
            if entry.get("logger") == "service.access" and entry.get("status") == 503:
                latencies.append(float(entry["latency_ms"]) / 1000)
    return LoggedRefusals(
        count=len(latencies),
        p50_ms=percentile_ms(latencies, 50),
        p99_ms=percentile_ms(latencies, 99),
        max_ms=percentile_ms(latencies, 100),
    )
