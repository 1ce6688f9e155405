"""The number-reading part (``--only read``): ``POST /read`` against ``/predict`` on the same picture.

The picture is a 400x120 PNG of four of the benchmark's MNIST test digits (``bench/data``: 7, 2, 1,
0), dark on light, side by side: a number. Both routes get it as a multipart upload from wrk, at each
``--read-concurrency`` (1 and 64), interleaved and repeated; each figure is the median over the
repeats. ``/predict`` reads the picture as one digit (decode, find the ink, normalise once, one image
to the model); ``/read`` finds the ink once, normalises four digits and sends four images to the
model in one submission. Beside wrk's latency, the *server time* of each run is the median of the
service's own access-log latency (request in, answer out) for that route: the figure that the target
compares at c=1 (``/read`` at most 2x ``/predict``).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from bench.digits import Digit
from bench.load.wrk import Point, run_wrk
from bench.servers import launch
from bench.sweep import median_point

ROUTES = ("read", "predict")
SIZE = (400, 120)  # px, the picture
DIGIT_PX = 84  # each digit's side in it


def number_png(digits: list[Digit]) -> tuple[bytes, str]:
    """The 400x120 PNG of the first four digits, and the number they make."""
    picture = Image.new("L", SIZE, 255)
    for k, digit in enumerate(digits[:4]):
        ink = Image.fromarray(255 - np.asarray(digit.pixels, dtype=np.uint8))
        picture.paste(ink.resize((DIGIT_PX, DIGIT_PX), Image.Resampling.BICUBIC), (14 + k * 94, 18))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue(), "".join(str(d.label) for d in digits[:4])


def upload(data: bytes, work_dir: Path) -> tuple[Path, str]:
    """The multipart body a client sends for the picture (httpx frames it), written for wrk."""
    request = httpx.Request(
        "POST", "http://127.0.0.1/read", files={"file": ("number.png", data, "image/png")}
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "number.body"
    path.write_bytes(request.read())
    return path, request.headers["content-type"]


def server_ms(log: Path, offset: int, route: str) -> float | None:
    """The median latency the service logged for 200 answers on ``route`` after byte ``offset``."""
    latencies = []
    with log.open("rb") as lines:
        lines.seek(offset)
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line the server was still writing, or not one of the service's
            ours = entry.get("logger") == "service.access" and entry.get("route") == route
            if ours and entry.get("status") == 200:
                latencies.append(float(entry["latency_ms"]))
    return statistics.median(latencies) if latencies else None


def read_part(args: argparse.Namespace, digits: list[Digit], work_dir: Path) -> dict[str, Any]:
    data, text = number_png(digits)
    body, content_type = upload(data, work_dir)
    levels = args.read_concurrency
    print(f"Numbers: /read and /predict on a {SIZE[0]}x{SIZE[1]} PNG of {text} at c={levels}", flush=True)
    spec = launch.service("read")
    runs: dict[str, dict[int, list[Point]]] = {r: {c: [] for c in levels} for r in ROUTES}
    times: dict[str, dict[int, list[float]]] = {r: {c: [] for c in levels} for r in ROUTES}
    log = work_dir / "logs" / f"{spec.name}.log"
    with launch.running(spec, work_dir / "logs") as url:
        headers = {"content-type": content_type}
        answers = {
            r: httpx.post(f"{url}/{r}", content=body.read_bytes(), headers=headers).json() for r in ROUTES
        }
        for repeat in range(args.repeats):
            for concurrency in levels:
                for route in ROUTES:
                    point, took = _measure(args, f"{url}/{route}", body, content_type, concurrency, log)
                    runs[route][concurrency].append(point)
                    times[route][concurrency] += [] if took is None else [took]
                    _progress(f"[{repeat + 1}/{args.repeats}] /{route:<8}", point, took)
    return {
        "picture": {"size": list(SIZE), "number": text, "bytes": len(data)},
        "read_as": answers["read"]["numbers"][0]["text"],
        "predict_as": answers["predict"]["predictions"][0]["digit"],
        "medians": {r: [asdict(median_point(runs[r][c])) for c in levels] for r in ROUTES},
        "server_ms": {
            r: {str(c): statistics.median(t) if t else None for c, t in times[r].items()} for r in ROUTES
        },
    }


def _progress(what: str, point: Point, server: float | None) -> None:
    took = "-" if server is None else f"{server:.2f} ms"
    print(
        f"  {what} c={point.concurrency:<4} {point.rps:8.0f} req/s  p50 {point.p50_ms:7.2f} ms  "
        f"server {took}  errors {point.errors}",
        flush=True,
    )


def _measure(
    args: argparse.Namespace, url: str, body: Path, content_type: str, concurrency: int, log: Path
) -> tuple[Point, float | None]:
    """One wrk run (after its warm-up) and the service's median latency for it."""
    if args.warmup > 0:
        run_wrk(url, body, content_type, concurrency, args.warmup, args.pin_client)
    offset = log.stat().st_size
    point = run_wrk(url, body, content_type, concurrency, args.read_duration, args.pin_client)
    return point, server_ms(log, offset, "/" + url.rsplit("/", 1)[-1])
