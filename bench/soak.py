"""Soak test: hold the service at a steady fraction of its saturation for a while; watch errors and memory.

    python -m bench.soak --duration 600 --rate-fraction 0.7

Starts the service on 127.0.0.1 (its settings from ``DIGITS_*`` as usual), measures its saturation with hey
itself, closed loop at ``--concurrency`` workers (or takes ``--rate``), warms it up with hey at the soak
rate for ``--warmup`` seconds and goes on at that rate for ``--duration`` measured seconds, while a
thread samples the resident memory of the server's process tree every ``--sample-s`` seconds. Warm-up
and soak are one hey run, so hey's processes open their ~400 connections once, before the measured
part: back-to-back runs of 60 s each opened them anew, and each such burst of connections and first
requests drew a few dozen 503s (``soak-20261129-135904.json``: bursts 62 s apart). Prints and writes a
JSON summary with PASS/FAIL against the targets: no errors (every non-2xx answer and every request
without an answer), and RSS growth from the end of warm-up below 10%.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.digits import load_digits
from bench.load import hey
from bench.load.bodies import predict_body
from bench.load.plan import Tally
from bench.overload import percentile_ms
from bench.rss import server_pid, tree_rss_bytes
from bench.servers import launch

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
    """Answers per HTTP status, plus ``failed`` (no answer) and ``cut off`` (hey stopped at its deadline)."""
    p50_ms: float | None
    p99_ms: float | None
    """Over the answered requests."""
    rss_start_mb: float
    rss_end_mb: float
    rss_growth_pct: float
    rss_samples_mb: list[tuple[float, float]]
    """``(seconds since the soak began, MB)`` for the server's process tree."""
    verdict: dict[str, str]
    workers: int
    """hey workers (each at ``rate_rps / workers`` req/s)."""


def sample_rss(
    pid: int, every_s: float, samples: list[tuple[float, float]], stop: threading.Event, delay_s: float = 0.0
) -> None:
    """After ``delay_s``, append ``(elapsed, MB)`` every ``every_s`` until ``stop`` is set."""
    if stop.wait(delay_s):
        return
    start = time.perf_counter()
    while True:
        samples.append((round(time.perf_counter() - start, 1), tree_rss_bytes(pid) / 2**20))
        if stop.wait(every_s):
            return


def soak(url: str, pid: int, args: argparse.Namespace) -> SoakResult:
    body = predict_body(load_digits()[:1], args.payload)
    work_dir = RESULTS / "tmp" / "soak"
    work_dir.mkdir(parents=True, exist_ok=True)
    target, file = f"{url}/predict", body.write(work_dir / "one.body")
    measured = None
    if not args.rate:
        measured = hey.closed_loop_rps(target, file, body.content_type, args.concurrency, args.saturation_s)
    rate = args.rate or args.rate_fraction * (measured or 0.0)
    print(
        f"soak: saturation {measured or 0:.0f} req/s, driving {rate:.0f} req/s", file=sys.stderr, flush=True
    )
    load = hey.plan(target, file, body.content_type, rate, args.warmup + args.duration)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    sampler = threading.Thread(
        target=sample_rss, args=(pid, args.sample_s, samples, stop, args.warmup), daemon=True
    )
    tally, started = Tally(since_s=args.warmup), time.perf_counter()
    sampler.start()
    try:
        done = hey.run(load, work_dir, tally, origin=started)
    finally:
        elapsed = max(0.0, time.perf_counter() - started - args.warmup)
        stop.set()
        sampler.join()
    samples.append((round(elapsed, 1), tree_rss_bytes(pid) / 2**20))
    return summarize(tally, samples, measured, rate, elapsed, done.load.workers)


def summarize(
    tally: Tally,
    samples: list[tuple[float, float]],
    measured: float | None,
    rate: float,
    elapsed: float,
    workers: int,
) -> SoakResult:
    statuses = dict(tally.statuses)
    errors = sum(n for status, n in statuses.items() if not status.startswith("2"))
    latencies = tally.of(*tally.latencies)
    start_mb, end_mb = samples[0][1], samples[-1][1]
    growth = (end_mb - start_mb) / start_mb * 100 if start_mb else float("inf")
    verdict = {
        "errors == 0": "PASS" if errors == 0 else "FAIL",
        f"rss growth < {MAX_RSS_GROWTH_PCT:g}%": "PASS" if growth < MAX_RSS_GROWTH_PCT else "FAIL",
    }
    return SoakResult(
        measured, rate, elapsed, tally.sent, errors, statuses, percentile_ms(latencies, 50),
        percentile_ms(latencies, 99), start_mb, end_mb, growth, samples, verdict, workers,
    )  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=600.0, help="measured soak, seconds")
    p.add_argument("--rate-fraction", type=float, default=0.7, help="soak rate / measured saturation")
    p.add_argument("--rate", type=float, default=0.0, help="soak rate in req/s; skips measuring saturation")
    p.add_argument("--saturation-s", type=float, default=5.0, help="how long to measure saturation")
    p.add_argument("--concurrency", type=int, default=64, help="hey workers measuring saturation")
    p.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds at the soak rate first")
    p.add_argument("--sample-s", type=float, default=5.0, help="seconds between RSS samples")
    p.add_argument("--payload", choices=["png", "json"], default="png", help="one image per request, as")
    p.add_argument(
        "--out", type=Path, default=None, help="JSON summary (default bench/results/soak-<time>.json)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> SoakResult:
    args = parse_args(argv)
    if hey.hey_path() is None:
        sys.exit("the soak needs hey: apt-get install -y hey")
    out = args.out or RESULTS / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    # Slow collections logged, so a burst of 503s in the soak can be checked against them.
    with launch.running(launch.service("soak", slow_gc_ms=20), RESULTS / "tmp") as url:
        port = urlsplit(url).port
        assert port is not None
        result = soak(url, server_pid(port), args)
    text = json.dumps(asdict(result), indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)
    verdict = "PASS" if "FAIL" not in result.verdict.values() else "FAIL"
    sent = f"sent {result.requests / result.duration_s:.0f} of {result.rate_rps:.0f} req/s"
    print(f"soak: {verdict}; {sent}; wrote {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
