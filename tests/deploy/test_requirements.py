"""deploy/requirements.py: the dependency lists the images install, read from pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirements(*args: str) -> list[str]:
    cmd = [sys.executable, str(ROOT / "deploy" / "requirements.py"), *args]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, f"{cmd} failed: {result.stderr}"
    return result.stdout.split()


def _names(lines: list[str]) -> set[str]:
    return {line.split("[")[0].split(">")[0].split("=")[0].split("<")[0].lower() for line in lines}


def test_service_group_has_the_runtime_but_no_torch() -> None:
    names = _names(_requirements("service"))
    assert {"numpy", "onnxruntime", "fastapi", "uvicorn", "scipy"} <= names, f"service group: {names}"
    assert "torch" not in names, "the serving image must not install torch"


def test_exclude_drops_a_package_for_the_gpu_image() -> None:
    names = _names(_requirements("service", "--exclude", "ONNXRuntime"))
    assert "onnxruntime" not in names and "fastapi" in names


def test_training_group_pins_torch() -> None:
    assert "torch==2.13.0" in _requirements("training")


def test_unknown_group_fails_with_a_message() -> None:
    cmd = [sys.executable, str(ROOT / "deploy" / "requirements.py"), "nope"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0 and "no optional-dependency group 'nope'" in result.stderr
