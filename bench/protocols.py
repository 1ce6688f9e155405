"""The protocol part (``--only grpc``): gRPC against REST ``/v2/.../infer`` and ``/predict``, one run.

One service, started with a gRPC port, answers all three; each is driven by the same closed-loop
h2load (:mod:`bench.load.h2closed`): h2c for gRPC, HTTP/1.1 for REST. Calls carry 1 or 64 real digits,
at each ``--grpc-concurrency`` (1 and 64 connections, one call in flight on each). Rounds are
interleaved (repeat, then images, then concurrency, then protocol), so a slow spell hits all three
alike, and each figure is the median over the repeats.

* ``grpc``: ``ModelInfer`` with raw tensor bytes, as ``tritonclient.grpc`` sends it. A failed call is
  HTTP 200 with a grpc-status in its trailers, which h2load does not read, so failures are counted
  from the service's metrics (``digits_requests_total{protocol="grpc"}`` neither ``OK`` nor
  ``CANCELLED``) around each run.
* ``v2``: ``POST /v2/models/mnist-lstm/infer`` with binary tensors, as ``tritonclient.http`` sends it.
* ``predict``: ``POST /predict`` with the digits as PNG files (the service's own API: decoding and
  preprocessing included, so it does more work per image than the other two).

The service's queue is raised to ``QUEUE_IMAGES`` here: 64 callers of 64 images would otherwise
overflow the default 2,048-image queue, and this part measures throughput, not shedding.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.digits import Digit
from bench.load import h2closed
from bench.load.bodies import Body, grpc_infer_body, predict_body, v2_infer_body
from bench.load.wrk import Point
from bench.servers import launch
from bench.sweep import medians

MODEL = "mnist-lstm"
PROTOCOLS = ("grpc", "v2", "predict")
IMAGES = (1, 64)
QUEUE_IMAGES = 8192
INFER = "/inference.GRPCInferenceService/ModelInfer"


def bodies(digits: list[Digit], images: int) -> dict[str, Body]:
    return {
        "grpc": grpc_infer_body(digits[:images], MODEL),
        "v2": v2_infer_body(digits[:images]),
        "predict": predict_body(digits[:images], "png"),
    }


def grpc_failures(url: str) -> float:
    """gRPC inference calls the service answered with any status but OK, from its ``/metrics``.

    CANCELLED is left out: it is the calls in flight when h2load stops its clients at the end of a
    run (HTTP's twin is the 499 the access log shows for them), not answers."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "digits_requests_total"
        and sample.labels.get("protocol") == "grpc"
        and sample.labels.get("route") == INFER
        and sample.labels.get("status") not in ("OK", "CANCELLED")
    )


def protocols_part(args: argparse.Namespace, digits: list[Digit], work_dir: Path) -> dict[str, Any]:
    grpc_port = launch.free_port()
    spec = launch.service("protocols", grpc_port=grpc_port, max_queue_images=QUEUE_IMAGES)
    levels = args.grpc_concurrency
    print(f"Protocols: {', '.join(PROTOCOLS)}; {IMAGES} images per call at c={levels}", flush=True)
    runs: dict[str, dict[int, list[Point]]] = {
        f"{p}-{n}": {c: [] for c in levels} for n in IMAGES for p in PROTOCOLS
    }
    client_cpu: list[float] = []
    work_dir.mkdir(parents=True, exist_ok=True)
    calls = {(name, n): (body, body.write(work_dir / f"{name}-{n}.body"))
             for n in IMAGES for name, body in bodies(digits, n).items()}  # fmt: skip
    with launch.running(spec, work_dir / "logs") as url:
        urls = {"grpc": f"http://{launch.HOST}:{grpc_port}{INFER}", "v2": f"{url}/v2/models/{MODEL}/infer",
                "predict": f"{url}/predict"}  # fmt: skip
        # Interleaved: repeat, then images, then concurrency, then protocol.
        for repeat, images, concurrency, name in itertools.product(
            range(args.repeats), IMAGES, levels, PROTOCOLS
        ):
            body, file = calls[name, images]
            point, share = _one(url, urls[name], name, body, file, concurrency, args, work_dir)
            runs[f"{name}-{images}"][concurrency].append(point)
            client_cpu.append(share)
            print(
                f"  [{repeat + 1}/{args.repeats}] {name:<8} {images:>2} images  " + _line(point, share),
                flush=True,
            )
    return {
        "images_per_call": list(IMAGES),
        "queue_images": QUEUE_IMAGES,
        "client_cpu_share_max": max(client_cpu),
        "medians": {name: [asdict(p) for p in ps] for name, ps in medians(runs).items()},
        "runs": {
            name: {str(c): [asdict(p) for p in ps] for c, ps in by_c.items()} for name, by_c in runs.items()
        },
    }


def _line(point: Point, client_share: float) -> str:
    return (
        f"c={point.concurrency:<3} {point.rps:8.0f} calls/s  p50 {point.p50_ms:7.2f} ms  "
        f"p99 {point.p99_ms:8.2f} ms  errors {point.errors}  h2load {client_share:.0%} of a core"
    )


def _one(
    service_url: str, url: str, name: str, body: Body, file: Path, concurrency: int,
    args: argparse.Namespace, work_dir: Path,
) -> tuple[Point, float]:  # fmt: skip
    """One measured point and the share of a core h2load used; gRPC failures come from the metrics."""
    failed_before = grpc_failures(service_url) if name == "grpc" else 0.0
    run = h2closed.run(url, body, file, concurrency, args.grpc_duration, args.warmup, work_dir / "h2closed")
    point = run.point
    if name == "grpc":
        failed = int(grpc_failures(service_url) - failed_before)
        ok = max(0.0, point.rps * point.duration_s - failed)
        point = replace(point, rps=ok / point.duration_s, errors=point.errors + failed)
    return point, run.client_cpu_s / run.wall_s
