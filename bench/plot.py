"""``latest.png``: throughput and p99 latency against concurrency, one line per server."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_sweep(sweep: dict[str, Any], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (rps_ax, p99_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, points in sweep["medians"].items():
        levels = [p["concurrency"] for p in points]
        rps_ax.plot(levels, [p["rps"] for p in points], marker="o", label=name)
        p99_ax.plot(levels, [p["p99_ms"] for p in points], marker="o", label=name)
    for ax, label in ((rps_ax, "requests/s (2xx)"), (p99_ax, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    p99_ax.set_yscale("log")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
