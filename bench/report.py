"""Print a run's results as tables and save them as ``bench/results/<timestamp>.json`` + ``latest.json``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.targets import Target


def sweep_table(sweep: dict[str, Any]) -> str:
    medians: dict[str, list[dict[str, Any]]] = sweep["medians"]
    naive = {p["concurrency"]: p["rps"] for p in medians.get("naive", [])}
    rows = [
        f"{'conc':>5} {'server':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>9} {'errors':>6} {'vs naive':>8}"
    ]
    levels = sorted({p["concurrency"] for points in medians.values() for p in points})
    for concurrency in levels:
        for name, points in medians.items():
            for p in (p for p in points if p["concurrency"] == concurrency):
                ratio = f"{p['rps'] / naive[concurrency]:7.2f}x" if naive.get(concurrency) else "       -"
                rows.append(
                    f"{concurrency:>5} {name:<8} {p['rps']:>8.0f} {p['p50_ms']:>8.2f} {p['p99_ms']:>9.2f} "
                    f"{p['errors']:>6} {ratio:>8}"
                )
    return "\n".join(rows)


def batch_table(batch: dict[str, Any], ort: list[dict[str, Any]]) -> str:
    images = batch["images_per_request"]
    ceiling = next((p["images_per_s"] for p in ort if p["batch"] == images), None)
    rows = [
        f"{'conc':>5} {'server':<8} {'req/s':>8} {'images/s':>9} {'p50 ms':>8} {'p99 ms':>9} {'vs ORT':>7}"
    ]
    for name, points in batch["medians"].items():
        for p in points:
            rate = p["rps"] * images
            share = f"{rate / ceiling:6.0%}" if ceiling else "     -"
            rows.append(
                f"{p['concurrency']:>5} {name:<8} {p['rps']:>8.1f} {rate:>9.0f} {p['p50_ms']:>8.2f} "
                f"{p['p99_ms']:>9.2f} {share:>7}"
            )
    return "\n".join(rows)


def protocols_table(protocols: dict[str, Any], ort: list[dict[str, Any]]) -> str:
    """gRPC, REST v2 and /predict side by side, per images per call and concurrency."""
    medians: dict[str, list[dict[str, Any]]] = protocols["medians"]
    ceiling = next((p["images_per_s"] for p in ort if p["batch"] == 64), None)
    rows = [
        f"{'images':>6} {'conc':>5} {'protocol':<8} {'calls/s':>8} {'images/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>9} {'errors':>6} {'vs v2':>6} {'vs ORT':>7}"
    ]
    for images in protocols["images_per_call"]:
        rest = {p["concurrency"]: p["rps"] for p in medians[f"v2-{images}"]}
        for c in sorted(rest):
            for name in ("grpc", "v2", "predict"):
                p = next(p for p in medians[f"{name}-{images}"] if p["concurrency"] == c)
                rate = p["rps"] * images
                vs_rest = f"{p['rps'] / rest[c]:5.2f}x" if rest[c] else "     -"
                vs_ort = f"{rate / ceiling:6.0%}" if ceiling and images == 64 else "     -"
                rows.append(
                    f"{images:>6} {c:>5} {name:<8} {p['rps']:>8.0f} {rate:>9.0f} {p['p50_ms']:>8.2f} "
                    f"{p['p99_ms']:>9.2f} {p['errors']:>6} {vs_rest:>6} {vs_ort:>7}"
                )
    share = protocols["client_cpu_share_max"]
    rows.append(f"(h2load, the client, used at most {share:.0%} of one core in any of these runs)")
    return "\n".join(rows)


def read_table(read: dict[str, Any]) -> str:
    """/read and /predict on the same number picture: throughput, latency and the service's own time."""
    picture = read["picture"]
    rows = [
        f"{picture['size'][0]}x{picture['size'][1]} PNG of {picture['number']}: /read says "
        f"{read['read_as']}, /predict says {read['predict_as']}",
        f"{'conc':>5} {'route':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>9} {'server ms':>10} {'errors':>6}",
    ]
    for route, points in read["medians"].items():
        for p in points:
            took = read["server_ms"][route].get(str(p["concurrency"]))
            server = "-" if took is None else f"{took:.2f}"
            rows.append(
                f"{p['concurrency']:>5} /{route:<7} {p['rps']:>8.0f} {p['p50_ms']:>8.2f} {p['p99_ms']:>9.2f} "
                f"{server:>10} {p['errors']:>6}"
            )
    return "\n".join(rows)


def ort_table(ort: list[dict[str, Any]]) -> str:
    rows = [f"{'batch':>5} {'images/s':>9} {'ms/batch':>9}"]
    rows += [f"{p['batch']:>5} {p['images_per_s']:>9.0f} {p['ms_per_batch']:>9.3f}" for p in ort]
    return "\n".join(rows)


def overload_lines(o: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"saturation {o['saturation_rps']:.0f} req/s (wrk, c=64); target {o['target_rps']:.0f} req/s, "
            f"offered {o['offered_rps']:.0f} req/s for {o['duration_s']:.1f} s; "
            f"queue {o['queue_images'] or 'as configured'} images",
            *_run_lines(o),
            *_logged_lines(o.get("service_logged_503")),
            *_nginx_lines(o.get("via_nginx")),
            *_floor_lines(o.get("generator_floor"), GENERATOR_FLOOR),
            *_floor_lines(o.get("floor_while_busy"), BUSY_FLOOR),
        ]
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _run_lines(run: dict[str, Any], indent: str = "") -> list[str]:
    """Statuses, latencies and recovery of one overload run (``bench.overload.OverloadResult``)."""
    normal = f"{run['threshold_ms']:.1f} ms (idle {run['baseline_ms']:.1f} ms)"
    recovery = (
        f"probe latency not back under {normal} within the probing window"
        if run["recovery_s"] is None
        else f"probe latency back under {normal} after {run['recovery_s']:.2f} s"
    )
    return [
        f"{indent}statuses {run['statuses']}",
        f"{indent}200: p50 {_ms(run['ok_p50_ms'])}, p99 {_ms(run['ok_p99_ms'])};  "
        f"503: p50 {_ms(run['rejected_p50_ms'])}, p99 {_ms(run['rejected_p99_ms'])}",
        f"{indent}drained {run['drain_s']:.2f} s after the load stopped; {recovery}",
    ]


def _logged_lines(logged: dict[str, Any] | None) -> list[str]:
    if not logged:
        return []
    return [
        f"the same 503s in the service's access log (app in, answer out): {logged['count']}, "
        f"p50 {_ms(logged['p50_ms'])}, p99 {_ms(logged['p99_ms'])}, max {_ms(logged['max_ms'])}"
    ]


def _nginx_lines(via: dict[str, Any] | None) -> list[str]:
    if not via:
        return []
    return [
        f"through deploy/nginx.conf (at most {via['max_inflight']} POSTs in flight): offered "
        f"{via['offered_rps']:.0f} req/s for {via['duration_s']:.1f} s",
        *_run_lines(via, indent="  "),
    ]


GENERATOR_FLOOR = "generator floor (the same load against bench.servers.floor, which refuses at once)"
BUSY_FLOOR = (
    "floor while the service is busy (the same load against nginx's own 503, the service kept at "
    "{service_rps:.0f} req/s by wrk)"
)


def _floor_lines(floor: dict[str, Any] | None, what: str) -> list[str]:
    """A floor run (``bench.overload.FloorResult``); ``what`` is formatted with its fields."""
    if not floor:
        return []
    return [
        f"{what.format(**floor)}: offered {floor['offered_rps']:.0f} req/s, statuses {floor['statuses']}, "
        f"503: p50 {_ms(floor['rejected_p50_ms'])}, p99 {_ms(floor['rejected_p99_ms'])}"
    ]


def target_lines(targets: list[Target]) -> str:
    rows = []
    for t in targets:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t.ok]
        value = "-" if t.value is None else f"{t.value:.3g}"
        rows.append(f"{verdict}  {t.name}: {value} (target {t.limit})")
    return "\n".join(rows)


def render(results: dict[str, Any], targets: list[Target]) -> str:
    parts = []
    if "sweep" in results:
        parts.append(
            f"One image per request ({results['sweep']['payload']}), medians:\n"
            + sweep_table(results["sweep"])
        )
    if "ort" in results:
        parts.append("Raw onnxruntime, in process, service session options:\n" + ort_table(results["ort"]))
    if "batch64" in results:
        parts.append(
            f"{results['batch64']['images_per_request']} images per request, medians:\n"
            + batch_table(results["batch64"], results.get("ort", []))
        )
    if "protocols" in results:
        parts.append(
            "gRPC against REST on one service (h2load, closed loop), medians:\n"
            + protocols_table(results["protocols"], results.get("ort", []))
        )
    if "read" in results:
        parts.append("Reading a number, medians:\n" + read_table(results["read"]))
    if "overload" in results:
        parts.append("Overload (h2load, rate-limited clients):\n" + overload_lines(results["overload"]))
    parts.append("Targets:\n" + target_lines(targets))
    return "\n\n".join(parts)


def save(results: dict[str, Any], results_dir: Path, stamp: str) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    shutil.copyfile(path, results_dir / "latest.json")
    return path
