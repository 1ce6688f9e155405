"""The JSON sidecar (``model.json``) that makes every ONNX model describe itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from training.machine import measured_on
from training.model import INPUT_CONTRACT
from training.onnx_io import INPUT_NAME, OPSET, OUTPUT_NAME

SCHEMA_VERSION = 1
LABELS = [str(d) for d in range(10)]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit() -> str:
    """The current commit, with ``-dirty`` when the work tree has changes; ``unknown`` outside git."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def build_sidecar(
    onnx_path: Path,
    name: str,
    version: int,
    metrics: dict[str, Any],
    training: dict[str, Any],
    quantization: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Describe an exported model: I/O, contract, metrics, provenance and checksum.

    ``metrics.measured_on`` names the CPU (model and the ISA flags that pick onnxruntime's kernels)
    and the onnxruntime version the metrics were measured with: another CPU can flip a few
    borderline predictions, above all of an int8 model.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "version": version,
        "file": onnx_path.name,
        "sha256": sha256_of(onnx_path),
        "size_bytes": onnx_path.stat().st_size,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "format": "onnx",
        "opset": OPSET,
        "inputs": [{"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, 28, 28]}],
        "outputs": [{"name": OUTPUT_NAME, "datatype": "FP32", "shape": [-1, 10]}],
        "output_kind": "logits",
        "labels": LABELS,
        "preprocessing": INPUT_CONTRACT,
        "metrics": metrics | {"measured_on": measured_on()},
        "quantization": quantization,
        "training": training,
    }


def write_sidecar(sidecar: dict[str, Any], directory: Path) -> Path:
    path = directory / "model.json"
    path.write_text(json.dumps(sidecar, indent=2) + "\n")
    return path
