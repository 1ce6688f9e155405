"""The benchmark's parts, each given the parsed command line: sweeps, 64-image requests, raw ORT, overload.

Every part returns plain dicts (JSON-ready). Servers are started here and always stopped by PID.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import overload
from bench.digits import Digit
from bench.load.bodies import Body, predict_body
from bench.load.wrk import run_wrk
from bench.ort_raw import load_runtime, measure
from bench.servers import launch, nginx
from bench.sweep import SweepConfig, medians, sweep
from service.config import Settings

SWEPT = ("service", "nobatch", "naive")
SPECS = {
    "service": launch.service("service"),
    "nobatch": launch.service("nobatch", max_batch_size=1, max_batch_wait_ms=0),
    "naive": launch.naive(),
}
ORT_BATCHES = [1, 8, 64, 256, 512]
NGINX_INFLIGHT_PER_WORKER = 64  # deploy/nginx.conf's sizing rule: replicas x workers x ~64


def sweep_config(args: argparse.Namespace, concurrency: list[int]) -> SweepConfig:
    return SweepConfig(concurrency, args.duration, args.warmup, args.repeats, args.pin_client)


def body_file(body: Body, work_dir: Path, name: str) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    return body.write(work_dir / f"{name}.body")


def run_sweeps(args: argparse.Namespace, digits: list[Digit], work_dir: Path) -> dict[str, Any]:
    """The concurrency sweep and the 64-image part, against servers started once for both."""
    names = [n for n in SWEPT if n in args.only]
    if "batch64" in args.only:
        names += [n for n in ("service", "naive") if n not in names]
    specs = [SPECS[n] for n in names] + args.variant
    results: dict[str, Any] = {}
    with launch.running_all(specs, work_dir / "logs") as urls:
        swept_names = [n for n in SWEPT if n in args.only] + [v.name for v in args.variant]
        swept = {n: urls[n] for n in swept_names}
        if swept:
            results["sweep"] = sweep_part(args, swept, predict_body(digits[:1], args.payload), work_dir)
        if "batch64" in args.only:
            batch_urls = {n: urls[n] for n in ("service", "naive")}
            results["batch64"] = batch_part(
                args, batch_urls, predict_body(digits[:64], args.payload), work_dir
            )
    return results


def sweep_part(args: argparse.Namespace, urls: dict[str, str], body: Body, work_dir: Path) -> dict[str, Any]:
    print(
        f"Sweep: {', '.join(urls)} at c={args.concurrency}, {args.duration:g} s x {args.repeats}", flush=True
    )
    runs = sweep(
        urls, body_file(body, work_dir, "one"), body.content_type, sweep_config(args, args.concurrency)
    )
    return {"payload": args.payload, "medians": _dicts(medians(runs)), "runs": _run_dicts(runs)}


def batch_part(args: argparse.Namespace, urls: dict[str, str], body: Body, work_dir: Path) -> dict[str, Any]:
    print(f"{body.images}-image requests: {', '.join(urls)} at c={args.batch_concurrency}", flush=True)
    config = sweep_config(args, args.batch_concurrency)
    runs = sweep(urls, body_file(body, work_dir, "batch"), body.content_type, config)
    return {"images_per_request": body.images, "payload": args.payload, "medians": _dicts(medians(runs))}


def ort_part(args: argparse.Namespace, digits: list[Digit]) -> list[dict[str, Any]]:
    settings = Settings(
        model_repository=Path(os.environ.get("DIGITS_MODEL_REPOSITORY", launch.ROOT / "models"))
    )
    print(
        f"Raw onnxruntime: batches {ORT_BATCHES}, intra-op threads {settings.ort_intra_op_threads}",
        flush=True,
    )
    runtime = load_runtime(settings)
    seconds = 0.2 if args.quick else 1.0
    return [asdict(p) for p in measure(runtime, digits, ORT_BATCHES, seconds, args.repeats)]


def overload_part(args: argparse.Namespace, digits: list[Digit], work_dir: Path) -> dict[str, Any]:
    body = predict_body(digits[:1], args.payload)
    file = body_file(body, work_dir, "one")
    queue = {} if args.overload_queue is None else {"max_queue_images": args.overload_queue}
    spec = launch.service("overload", **queue)
    with launch.running(spec, work_dir / "logs") as url:
        saturation = run_wrk(
            f"{url}/predict", file, body.content_type, 64, max(2.0, args.duration / 3), args.pin_client
        ).rps
        target = args.overload_factor * saturation
        print(f"Overload: saturation {saturation:.0f} req/s, offering {target:.0f} req/s", flush=True)
        log = work_dir / "logs" / f"{spec.name}.log"
        before = log.stat().st_size
        result = overload.run_overload(f"{url}/predict", body, file, target, args.overload_duration, work_dir)
        refusals = overload.logged_refusals(log, before)
        cap = NGINX_INFLIGHT_PER_WORKER * Settings().worker_count
        via_nginx = overload_via_nginx(url, body, file, target, args.overload_duration, work_dir, cap)
        busy_floor = floor_while_busy(
            url, body, file, target, args.overload_duration, work_dir, args.pin_client
        )
    # The same load against a server that refuses everything at once: the generator's own latency floor.
    with launch.running(launch.floor(), work_dir / "logs") as url:
        print("Overload: the same load against bench.servers.floor (the generator's floor)", flush=True)
        floor = overload.run_floor(
            f"{url}/predict", file, body.content_type, target, args.overload_duration, work_dir / "floor"
        )
    return {
        "saturation_rps": saturation,
        "queue_images": args.overload_queue,
        **asdict(result),
        "service_logged_503": asdict(refusals),
        "via_nginx": via_nginx,
        "generator_floor": asdict(floor),
        "floor_while_busy": busy_floor,
    }


def overload_via_nginx(
    url: str, body: Body, file: Path, target: float, duration_s: float, work_dir: Path, max_inflight: int
) -> dict[str, Any] | None:
    """The same overload through deploy/nginx.conf in front of the service at ``url``, with at most
    ``max_inflight`` POSTs in flight; ``None`` without nginx."""
    binary = nginx.nginx_binary()
    if binary is None:
        print("Overload: nginx is not installed; the run through deploy/nginx.conf is left out", flush=True)
        return None
    port = launch.free_port()
    backend = url.removeprefix("http://")
    conf = nginx.write_config(work_dir / "nginx", [backend], port, max_inflight=max_inflight)
    with nginx.running_nginx(binary, conf, port) as proxy:
        print(f"Overload: the same load through deploy/nginx.conf ({max_inflight} POSTs at most)", flush=True)
        result = overload.run_overload(f"{proxy}/predict", body, file, target, duration_s, work_dir / "nginx")
    return {"max_inflight": max_inflight, **asdict(result)}


def floor_while_busy(
    url: str, body: Body, file: Path, target: float, duration_s: float, work_dir: Path, pin: str | None
) -> dict[str, Any] | None:
    """The same load against an nginx that refuses everything itself, while wrk keeps the service at
    ``url`` saturated (c=64) on the same cores: how quickly any refusal, even one in C, comes back while
    the service's work competes for the cores, as it does under overload. ``None`` without nginx."""
    binary = nginx.nginx_binary()
    if binary is None:
        print("Overload: nginx is not installed; the floor while busy is left out", flush=True)
        return None
    port = launch.free_port()
    conf = nginx.write_floor_config(work_dir / "nginx-floor", port)
    with nginx.running_nginx(binary, conf, port) as refuser, ThreadPoolExecutor(1) as pool:
        print("Overload: the same load against nginx's own 503, the service kept busy by wrk", flush=True)
        busy = pool.submit(run_wrk, f"{url}/predict", file, body.content_type, 64, duration_s + 3, pin)
        time.sleep(1.0)  # wrk's connections are open and the service is saturated
        floor = overload.run_floor(
            f"{refuser}/predict", file, body.content_type, target, duration_s, work_dir / "nginx-floor"
        )
        service_rps = busy.result().rps
    return {**asdict(floor), "service_rps": service_rps}


def _dicts(points: dict[str, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [asdict(p) for p in ps] for name, ps in points.items()}


def _run_dicts(runs: dict[str, dict[int, list[Any]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {name: {str(c): [asdict(p) for p in ps] for c, ps in by_c.items()} for name, by_c in runs.items()}
