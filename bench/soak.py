"""Soak test: hold the service at a steady fraction of its saturation for a while; watch errors and memory.

    python -m bench.soak --duration 600 --rate-fraction 0.7

Starts the service on 127.0.0.1 (its settings from ``DIGITS_*`` as usual), measures its saturation
with a short closed loop (or takes ``--rate``), warms it up at the soak rate, then drives an open-loop
load (``bench.overload``'s generator) for ``--duration`` seconds while sampling the resident memory
of the server's process tree every ``--sample-s`` seconds. Prints and writes a JSON summary with
PASS/FAIL against the targets: no errors, and RSS growth from the end of warm-up below 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bench import servers
from bench.bodies import predict_body
from bench.digits import load_digits
from bench.overload import open_loop, percentile_ms, send
from bench.rss import server_pid, tree_rss_bytes

RESULTS = Path(__file__).resolve().parent / "results"
MAX_RSS_GROWTH_PCT = 10.0


@dataclass(frozen=True)
class SoakResult:
    saturation_rps: float | None
    rate_rps: float
    duration_s: float
    requests: int
    errors: int
    statuses: dict[str, int]
    p50_ms: float | None
    p99_ms: float | None
    rss_start_mb: float
    rss_end_mb: float
    rss_growth_pct: float
    rss_samples_mb: list[tuple[float, float]]
    """``(seconds since the soak began, MB)`` for the server's process tree."""
    verdict: dict[str, str]


async def saturation(url: str, body: Any, seconds: float, concurrency: int) -> float:
    """Successful requests per second with ``concurrency`` clients sending back to back."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        ok, stop_at = 0, time.perf_counter() + seconds

        async def client() -> None:
            nonlocal ok
            while time.perf_counter() < stop_at:
                status, _ = await send(session, url, body)
                ok += status.startswith("2")

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return ok / (time.perf_counter() - start)


async def sample_rss(pid: int, every_s: float, samples: list[tuple[float, float]]) -> None:
    """Append ``(elapsed, MB)`` every ``every_s`` until cancelled."""
    start = time.perf_counter()
    while True:
        samples.append((round(time.perf_counter() - start, 1), tree_rss_bytes(pid) / 2**20))
        await asyncio.sleep(every_s)


async def soak(url: str, pid: int, args: argparse.Namespace) -> SoakResult:
    body = predict_body(load_digits()[:1], args.payload)
    target = f"{url}/predict"
    measured = None if args.rate else await saturation(target, body, args.saturation_s, args.concurrency)
    rate = args.rate or args.rate_fraction * (measured or 0.0)
    print(
        f"soak: saturation {measured or 0:.0f} req/s, driving {rate:.0f} req/s", file=sys.stderr, flush=True
    )
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        await asyncio.gather(*await open_loop(session, target, body, rate, args.warmup))
        samples: list[tuple[float, float]] = []
        sampler = asyncio.create_task(sample_rss(pid, args.sample_s, samples))
        started = time.perf_counter()
        results = await asyncio.gather(*await open_loop(session, target, body, rate, args.duration))
        elapsed = time.perf_counter() - started
        sampler.cancel()
    samples.append((round(elapsed, 1), tree_rss_bytes(pid) / 2**20))
    return summarize(results, samples, measured, rate, elapsed)


def summarize(
    results: list[tuple[str, float]],
    samples: list[tuple[float, float]],
    measured: float | None,
    rate: float,
    elapsed: float,
) -> SoakResult:
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    errors = sum(n for status, n in statuses.items() if not status.startswith("2"))
    latencies = [latency for _, latency in results]
    start_mb, end_mb = samples[0][1], samples[-1][1]
    growth = (end_mb - start_mb) / start_mb * 100 if start_mb else float("inf")
    verdict = {
        "errors == 0": "PASS" if errors == 0 else "FAIL",
        f"rss growth < {MAX_RSS_GROWTH_PCT:g}%": "PASS" if growth < MAX_RSS_GROWTH_PCT else "FAIL",
    }
    return SoakResult(
        measured, rate, elapsed, len(results), errors, statuses, percentile_ms(latencies, 50),
        percentile_ms(latencies, 99), start_mb, end_mb, growth, samples, verdict,
    )  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=600.0, help="measured soak, seconds")
    p.add_argument("--rate-fraction", type=float, default=0.7, help="soak rate / measured saturation")
    p.add_argument("--rate", type=float, default=0.0, help="soak rate in req/s; skips measuring saturation")
    p.add_argument("--saturation-s", type=float, default=5.0, help="how long to measure saturation")
    p.add_argument("--concurrency", type=int, default=32, help="clients while measuring saturation")
    p.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds at the soak rate first")
    p.add_argument("--sample-s", type=float, default=5.0, help="seconds between RSS samples")
    p.add_argument("--payload", choices=["png", "json"], default="png", help="one image per request, as")
    p.add_argument(
        "--out", type=Path, default=None, help="JSON summary (default bench/results/soak-<time>.json)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> SoakResult:
    args = parse_args(argv)
    out = args.out or RESULTS / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    with servers.running(servers.service("soak"), RESULTS / "tmp") as url:
        port = urlsplit(url).port
        assert port is not None
        result = asyncio.run(soak(url, server_pid(port), args))
    text = json.dumps(asdict(result), indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)
    print(
        f"soak: {'PASS' if 'FAIL' not in result.verdict.values() else 'FAIL'}; wrote {out}", file=sys.stderr
    )
    return result


if __name__ == "__main__":
    main()
