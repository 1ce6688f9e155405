"""The one-command benchmark: ``python -m bench.run`` (``make bench``).

Parts (``--only`` picks some): ``service`` (as configured), ``nobatch`` (the same with batching off)
and ``naive`` (bench/servers/naive.py) are swept with wrk over ``--concurrency``, one image per request;
``batch64`` sends 64-image requests; ``ort`` times onnxruntime in process (the ceiling); ``overload``
drives a small-queue service at ~4x its saturation; ``grpc`` compares the Open Inference Protocol over
gRPC with REST ``/v2/.../infer`` and ``/predict`` on one service (h2load); ``read`` sends a 4-digit
400x120 PNG to ``/read`` and to ``/predict`` (wrk, and the service's own latency). Servers run on 127.0.0.1
on free ports and are stopped by PID, also on Ctrl-C. Prints tables, writes
``bench/results/<timestamp>.json``, ``latest.json`` and ``latest.png``. ``DIGITS_*`` variables in the
environment apply to the service (and to ``ort``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import machine
from bench.digits import load_digits
from bench.load.h2load import h2load_path
from bench.load.wrk import wrk_path
from bench.numbers import read_part
from bench.parts import SPECS, SWEPT, ort_part, overload_part, run_sweeps
from bench.plot import plot_sweep
from bench.protocols import protocols_part
from bench.report import render, save
from bench.servers import launch
from bench.servers.naive import latest_model
from bench.targets import evaluate

PARTS = ("service", "nobatch", "naive", "batch64", "ort", "overload", "grpc", "read")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def variant(text: str) -> launch.ServerSpec:
    """``NAME:SETTING=VALUE[,SETTING=VALUE...]`` -> the service with those ``DIGITS_*`` settings."""
    name, _, assignments = text.partition(":")
    pairs = [item.split("=", 1) for item in assignments.split(",") if item]
    if not name or name in SPECS or any(len(pair) != 2 for pair in pairs):
        raise argparse.ArgumentTypeError(f"expected NAME:SETTING=VALUE,... with a new NAME, got {text!r}")
    return launch.service(name, **{key.lower(): value for key, value in pairs})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per point")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load before each point")
    p.add_argument("--repeats", type=int, default=3, help="repetitions per point; the median is reported")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64, 256], help="connection counts")
    p.add_argument("--batch-concurrency", type=int, nargs="+", default=[1, 4], help="for 64-image requests")
    p.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="parts to run")
    p.add_argument("--payload", choices=("png", "json"), default="png", help="multipart PNG or JSON pixels")
    p.add_argument(
        "--variant",
        type=variant,
        action="append",
        default=[],
        help="also sweep the service with other settings, e.g. intra2:ORT_INTRA_OP_THREADS=2 (repeatable)",
    )
    p.add_argument("--pin-client", metavar="CPUS", help="run wrk under taskset -c CPUS (e.g. 1)")
    p.add_argument(
        "--grpc-duration", type=float, default=5.0, help="seconds measured per point of the grpc part"
    )
    p.add_argument(
        "--grpc-concurrency", type=int, nargs="+", default=[1, 64], help="connections for the grpc part"
    )
    p.add_argument(
        "--read-duration", type=float, default=5.0, help="seconds measured per point of the read part"
    )
    p.add_argument(
        "--read-concurrency", type=int, nargs="+", default=[1, 64], help="connections for the read part"
    )
    p.add_argument("--overload-duration", type=float, default=5.0, help="seconds of overload")
    p.add_argument("--overload-factor", type=float, default=4.0, help="offered load / saturation")
    p.add_argument(
        "--overload-queue",
        type=int,
        default=None,
        help="DIGITS_MAX_QUEUE_IMAGES when overloaded (default: as configured)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 2 s points, no warm-up, 1 repeat")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON and PNG go")
    p.add_argument("--no-plot", action="store_true", help="skip latest.png")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.repeats = 2.0, 0.0, 1
        args.grpc_duration = min(args.grpc_duration, 2.0)
        args.read_duration = min(args.read_duration, 2.0)
        args.overload_duration = min(args.overload_duration, 2.0)
    return args


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list) and value and isinstance(value[0], launch.ServerSpec):
        return [{"name": v.name, "env": dict(v.env)} for v in value]
    return value


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every server started is stopped by its PID."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def header(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    return {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["python -m bench.run", *argv]),
        "machine": machine.describe(),
        "model": str(latest_model().relative_to(launch.ROOT)),
        "service_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("DIGITS_")},
        "config": {k: _jsonable(v) for k, v in vars(args).items()},
        "notes": [
            "wrk (1 thread) and the servers share the same cores"
            + (f"; wrk pinned to CPUs {args.pin_client}" if args.pin_client else "; nothing pinned"),
            "throughput counts 2xx answers only; errors count every other answer and socket error",
        ],
    }


def finish(results: dict[str, Any], args: argparse.Namespace) -> None:
    """Check the targets, print the tables, save the JSON and the plot."""
    after = machine.describe()
    results["machine_after"] = {k: after[k] for k in ("load_average", "training_runs")}
    targets = evaluate(results)
    results["targets"] = [asdict(t) for t in targets]
    print("\n" + render(results, targets))
    print(f"\nwrote {save(results, args.results_dir, time.strftime('%Y%m%d-%H%M%S'))}")
    if "sweep" in results and not args.no_plot:
        busy = results["machine"]
        title = (
            f"{results['command']}  (load average {busy['load_average'][0]} at start, "
            f"{len(busy['training_runs'])} training runs)"
        )
        print(f"wrote {plot_sweep(results['sweep'], args.results_dir / 'latest.png', title)}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    needs_wrk = set(args.only) & {*SWEPT, "batch64", "overload", "read"}
    if needs_wrk and wrk_path() is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or run --only ort)")
    if {"overload", "grpc"} & set(args.only) and h2load_path() is None:
        sys.exit(
            "h2load is not installed: apt-get install -y nghttp2-client (or leave out overload and grpc)"
        )
    digits, work_dir = load_digits(), args.results_dir / "tmp"
    results = header(args, argv)
    with sigterm_as_interrupt():
        if "ort" in args.only:
            results["ort"] = ort_part(args, digits)
        results.update(run_sweeps(args, digits, work_dir))
        if "grpc" in args.only:
            results["protocols"] = protocols_part(args, digits, work_dir / "protocols")
        if "read" in args.only:
            results["read"] = read_part(args, digits, work_dir / "read")
        if "overload" in args.only:
            results["overload"] = overload_part(args, digits, work_dir)
    finish(results, args)
    return results


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; every server started was stopped")
