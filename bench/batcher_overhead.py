"""Per-request overhead of the batcher: submit -> result with a no-op model, no HTTP.

Run from the repository root: ``python -m bench.batcher_overhead``. Prints one row per
(concurrency, max_wait_ms): requests/s, wall time per request (1 / throughput) and mean latency,
after a baseline: one bare ``run_in_executor`` round trip to a worker thread, the floor at concurrency 1.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from service.inference.batching import Batcher


def noop_model(images: np.ndarray) -> np.ndarray:
    return np.zeros((len(images), 10), dtype=np.float32)


async def measure(concurrency: int, max_wait_ms: float, requests: int, batch: int) -> tuple[float, float]:
    """Return (wall seconds per request, mean latency seconds) for ``requests`` one-image submits."""
    batcher = Batcher(noop_model, max_batch_size=batch, max_wait_ms=max_wait_ms, max_queue_images=4096)
    await batcher.start()
    image = np.zeros((1, 28, 28), dtype=np.float32)
    latencies: list[float] = []

    async def client(count: int) -> None:
        for _ in range(count):
            start = time.perf_counter()
            await batcher.submit(image)
            latencies.append(time.perf_counter() - start)

    per_client = requests // concurrency
    start = time.perf_counter()
    await asyncio.gather(*(client(per_client) for _ in range(concurrency)))
    wall = time.perf_counter() - start
    await batcher.stop()
    return wall / len(latencies), sum(latencies) / len(latencies)


async def bare_executor_round_trip(requests: int) -> float:
    """Seconds per ``await run_in_executor(noop_model)``: the thread hand-off the batcher cannot avoid."""
    loop, image = asyncio.get_running_loop(), np.zeros((1, 28, 28), dtype=np.float32)
    with ThreadPoolExecutor(max_workers=1) as executor:
        start = time.perf_counter()
        for _ in range(requests):
            await loop.run_in_executor(executor, noop_model, image)
        return (time.perf_counter() - start) / requests


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20_000, help="submits per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64], help="concurrent callers")
    parser.add_argument("--max-wait-ms", type=float, nargs="+", default=[0.0, 2.0], help="batcher max wait")
    parser.add_argument("--max-batch-size", type=int, default=64, help="batcher max batch size")
    args = parser.parse_args(argv)
    baseline = asyncio.run(bare_executor_round_trip(args.requests // 4))
    print(f"bare run_in_executor round trip: {baseline * 1e6:.1f} us")
    print(f"{'concurrency':>11} {'max_wait_ms':>11} {'req/s':>9} {'us/request':>10} {'mean latency us':>15}")
    for concurrency in args.concurrency:
        for max_wait_ms in args.max_wait_ms:
            requests = args.requests if max_wait_ms == 0 or concurrency > 1 else args.requests // 50
            per_request, latency = asyncio.run(
                measure(concurrency, max_wait_ms, requests, args.max_batch_size)
            )
            print(
                f"{concurrency:>11} {max_wait_ms:>11g} {1 / per_request:>9.0f} "
                f"{per_request * 1e6:>10.1f} {latency * 1e6:>15.1f}"
            )


if __name__ == "__main__":
    main()
