"""What the benchmark ran on, and what else was running: the context every figure needs."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def training_runs() -> list[str]:
    """Command lines of ``training/train.py`` processes sharing the cores (``pgrep -af``)."""
    try:
        done = subprocess.run(
            ["pgrep", "-af", "training/train.py"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split(" ", 1)[1] for line in done.stdout.splitlines() if " " in line]


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def describe() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "packages": {n: package_version(n) for n in ("onnxruntime", "fastapi", "uvicorn", "numpy")},
        "training_runs": training_runs(),
    }
