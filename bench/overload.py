"""Overload: drive a server well past saturation with an open-loop aiohttp generator, for a bounded time.

wrk cannot report latency per status, so this part has its own small generator. Requests are started
on a fixed schedule (``target_rps``) whatever the server does, each on its own task, over at most
``max_connections`` connections. Every answer is recorded with its status and latency (from the moment
its request was started), so the 503s' latency is measured apart from the successes'. When the load
stops, a probe sends one request at a time and we report how long until its latency is back to normal
(``threshold_ms``, set from probes before the load).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp
import numpy as np

from bench.bodies import Body

TICK_S = 0.001
TIMEOUT, CONNECTION_ERROR = "timeout", "connection error"  # recorded instead of an HTTP status


@dataclass(frozen=True)
class OverloadResult:
    target_rps: float
    offered_rps: float
    """Requests the generator really started per second (it shares the cores with the server)."""
    duration_s: float
    sent: int
    statuses: dict[str, int]
    ok_p50_ms: float | None
    ok_p99_ms: float | None
    rejected_p50_ms: float | None
    rejected_p99_ms: float | None
    drain_s: float
    """From the end of the load until the last request in flight was answered."""
    baseline_ms: float
    threshold_ms: float
    recovery_s: float | None
    """From the end of the load until the first of three probes in a row under ``threshold_ms``."""


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


async def open_loop(
    session: aiohttp.ClientSession, url: str, body: Body, rate: float, duration_s: float
) -> list[asyncio.Task[tuple[str, float]]]:
    """Start ``rate`` requests per second for ``duration_s``, not waiting for any answer."""
    tasks: list[asyncio.Task[tuple[str, float]]] = []
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < duration_s:
        while len(tasks) < int(elapsed * rate) + 1:
            tasks.append(asyncio.create_task(send(session, url, body)))
        await asyncio.sleep(TICK_S)
    return tasks


async def probe(
    url: str, body: Body, gap_s: float, max_s: float, threshold_s: float | None = None, streak: int = 3
) -> list[tuple[float, float]]:
    """One request at a time, ``gap_s`` apart, for up to ``max_s``: ``(seconds since start, latency)``.

    With ``threshold_s``, stops early once ``streak`` latencies in a row are under it. A failed probe
    counts as an infinite latency.
    """
    results: list[tuple[float, float]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
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


def percentile_ms(latencies: list[float], q: float) -> float | None:
    return float(np.percentile(latencies, q) * 1000) if latencies else None


async def run_overload(
    url: str,
    body: Body,
    target_rps: float,
    duration_s: float,
    max_connections: int = 0,
    recovery_max_s: float = 30.0,
) -> OverloadResult:
    """Probe the idle server, overload it, then probe until latency is normal again."""
    idle = await probe(url, body, gap_s=0.01, max_s=1.0)
    baseline_s = statistics.median(latency for _, latency in idle)
    threshold_s = max(2 * baseline_s, baseline_s + 0.002)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=max_connections)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        tasks = await open_loop(session, url, body, target_rps, duration_s)
        stopped = time.perf_counter()
        probes = asyncio.create_task(probe(url, body, 0.02, recovery_max_s, threshold_s))
        results = await asyncio.gather(*tasks)
        drain_s = time.perf_counter() - stopped
        probed = await probes
    return summarize(results, target_rps, stopped - start, drain_s, baseline_s, threshold_s, probed)


def summarize(
    results: list[tuple[str, float]],
    target_rps: float,
    duration_s: float,
    drain_s: float,
    baseline_s: float,
    threshold_s: float,
    probes: list[tuple[float, float]],
) -> OverloadResult:
    statuses = dict(Counter(status for status, _ in results))
    ok = [latency for status, latency in results if status.startswith("2")]
    rejected = [latency for status, latency in results if status == "503"]
    return OverloadResult(
        target_rps=target_rps,
        offered_rps=len(results) / duration_s,
        duration_s=duration_s,
        sent=len(results),
        statuses=statuses,
        ok_p50_ms=percentile_ms(ok, 50),
        ok_p99_ms=percentile_ms(ok, 99),
        rejected_p50_ms=percentile_ms(rejected, 50),
        rejected_p99_ms=percentile_ms(rejected, 99),
        drain_s=drain_s,
        baseline_ms=baseline_s * 1000,
        threshold_ms=threshold_s * 1000,
        recovery_s=recovery_time(probes, threshold_s),
    )
