"""The issue's targets, checked against one run's results (ratios only ever within the same run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    limit: str
    ok: bool | None
    """None when this run did not measure it."""


def _point(results: dict[str, Any], section: str, server: str, concurrency: int) -> dict[str, Any] | None:
    for point in results.get(section, {}).get("medians", {}).get(server, []):
        if point["concurrency"] == concurrency:
            return dict(point)
    return None


def _check(name: str, value: float | None, limit: str, ok: bool) -> Target:
    return Target(name, value, limit, ok if value is not None else None)


def sweep_targets(results: dict[str, Any]) -> list[Target]:
    service64, naive64 = _point(results, "sweep", "service", 64), _point(results, "sweep", "naive", 64)
    service1, naive1 = _point(results, "sweep", "service", 1), _point(results, "sweep", "naive", 1)
    ratio = service64["rps"] / naive64["rps"] if service64 and naive64 and naive64["rps"] else None
    p99 = service64["p99_ms"] if service64 else None
    errors = float(service64["errors"]) if service64 else None
    extra = service1["p50_ms"] - naive1["p50_ms"] if service1 and naive1 else None
    return [
        _check("c=64 req/s, service / naive", ratio, ">= 3", ratio is not None and ratio >= 3),
        _check("c=64 service p99 ms", p99, "<= 30", p99 is not None and p99 <= 30),
        _check("c=64 service errors", errors, "== 0", errors == 0),
        _check("c=1 service p50 - naive p50, ms", extra, "<= 0.3", extra is not None and extra <= 0.3),
    ]


def batch_target(results: dict[str, Any]) -> Target:
    ort64 = next((p for p in results.get("ort", []) if p["batch"] == 64), None)
    service = results.get("batch64", {}).get("medians", {}).get("service", [])
    best = max((p["rps"] * results["batch64"]["images_per_request"] for p in service), default=None)
    share = best / ort64["images_per_s"] if best is not None and ort64 else None
    return _check(
        "64-image requests, images/s / raw ORT batch 64", share, ">= 0.6", share is not None and share >= 0.6
    )


def protocol_targets(results: dict[str, Any]) -> list[Target]:
    """gRPC's 64-image calls against raw ORT at batch 64 (best concurrency), and its one-image calls at
    c=64 against REST /v2 infer's, from the same run."""
    medians = results.get("protocols", {}).get("medians", {})
    ort64 = next((p for p in results.get("ort", []) if p["batch"] == 64), None)
    best = max((p["rps"] * 64 for p in medians.get("grpc-64", [])), default=None)
    share = best / ort64["images_per_s"] if best is not None and ort64 else None
    grpc1 = next((p for p in medians.get("grpc-1", []) if p["concurrency"] == 64), None)
    rest1 = next((p for p in medians.get("v2-1", []) if p["concurrency"] == 64), None)
    ratio = grpc1["rps"] / rest1["rps"] if grpc1 and rest1 and rest1["rps"] else None
    return [
        _check(
            "gRPC 64-image calls, images/s / raw ORT batch 64",
            share,
            ">= 0.9",
            share is not None and share >= 0.9,
        ),
        _check(
            "gRPC 1-image calls c=64, calls/s / REST v2 infer",
            ratio,
            ">= 1",
            ratio is not None and ratio >= 1,
        ),
    ]


def read_target(results: dict[str, Any]) -> Target:
    """/read's server time on the 4-digit picture at c=1 against /predict's on the same picture."""
    times = results.get("read", {}).get("server_ms", {})
    read, predict = times.get("read", {}).get("1"), times.get("predict", {}).get("1")
    ratio = read / predict if read is not None and predict else None
    return _check(
        "/read 4-digit PNG c=1, server time / /predict's", ratio, "<= 2", ratio is not None and ratio <= 2
    )


def overload_targets(results: dict[str, Any]) -> list[Target]:
    overload = results.get("overload")
    if not overload:
        return [Target(n, None, limit, None) for n, limit in OVERLOAD_LIMITS]
    statuses: dict[str, int] = overload["statuses"]
    failed = float(sum(n for s, n in statuses.items() if s not in ("200", "503")))
    p99, recovery = overload["rejected_p99_ms"], overload["recovery_s"]
    # Measured but missing fails: no 503 at all means the excess was not shed; no recovery, not in time.
    return [
        Target("overload: 503 p99 ms", p99, "<= 50", p99 is not None and p99 <= 50),
        Target("overload: failed requests (not 200, not 503)", failed, "== 0", failed == 0),
        Target("overload: recovery s", recovery, "<= 1", recovery is not None and recovery <= 1),
    ]


OVERLOAD_LIMITS = [
    ("overload: 503 p99 ms", "<= 50"),
    ("overload: failed requests (not 200, not 503)", "== 0"),
    ("overload: recovery s", "<= 1"),
]


def evaluate(results: dict[str, Any]) -> list[Target]:
    return [
        *sweep_targets(results),
        batch_target(results),
        *protocol_targets(results),
        read_target(results),
        *overload_targets(results),
    ]
