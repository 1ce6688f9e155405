"""ModelRuntime with real onnxruntime: it serves the committed model and refuses mismatched ones."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from service.errors import ModelLoadError
from service.inference.runtime import CPU, ModelRuntime, OrtOptions
from tests.live import MODELS


def latest(name: str = "mnist-lstm") -> Path:
    return max((p for p in (MODELS / name).iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the latest default model version, safe to damage."""
    target = tmp_path / "mnist-lstm" / latest().name
    shutil.copytree(latest(), target)
    return target


def edit_sidecar(version_dir: Path, **changes: object) -> None:
    path = version_dir / "model.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def test_loads_and_predicts_probabilities() -> None:
    runtime = ModelRuntime.load(latest())
    assert runtime.provider == CPU
    probs = runtime.predict(np.zeros((5, 28, 28), np.float32))
    assert probs.shape == (5, 10) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    meta = runtime.metadata()
    assert meta["name"] == "mnist-lstm" and meta["provider"] == CPU and meta["test_accuracy"] > 0.99


def test_int8_variant_loads_too() -> None:
    runtime = ModelRuntime.load(latest("mnist-lstm-int8"))
    assert runtime.metadata()["quantization"]["weight_type"] == "int8"


def test_sha256_mismatch_is_refused(copy: Path) -> None:
    with (copy / "model.onnx").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        ModelRuntime.load(copy)


def test_missing_sidecar_is_refused(copy: Path) -> None:
    (copy / "model.json").unlink()
    with pytest.raises(ModelLoadError, match=r"no model\.json"):
        ModelRuntime.load(copy)


def test_io_names_must_match_the_sidecar(copy: Path) -> None:
    edit_sidecar(copy, inputs=[{"name": "image", "datatype": "FP32", "shape": [-1, 28, 28]}])
    with pytest.raises(ModelLoadError, match="I/O names"):
        ModelRuntime.load(copy)


def test_unsupported_contract_is_refused(copy: Path) -> None:
    sidecar = json.loads((copy / "model.json").read_text())
    edit_sidecar(copy, preprocessing=sidecar["preprocessing"] | {"value_range": [0, 255]})
    with pytest.raises(ModelLoadError, match="input contract"):
        ModelRuntime.load(copy)


@pytest.mark.parametrize(
    "block", [{"temperature": 0, "min_confidence": 0.5}, {"temperature": 1.0, "min_confidence": 1.5}, {}]
)
def test_a_calibration_block_out_of_range_is_refused(copy: Path, block: dict[str, float]) -> None:
    edit_sidecar(copy, calibration=block)
    with pytest.raises(ModelLoadError, match="calibration"):
        ModelRuntime.load(copy)


def test_the_calibration_block_is_public(copy: Path) -> None:
    edit_sidecar(copy, calibration={"temperature": 1.3, "min_confidence": 0.6, "command": "x"})
    meta = ModelRuntime.load(copy).metadata()
    assert meta["calibration"] == {"temperature": 1.3, "min_confidence": 0.6, "command": "x"}


def test_corrupt_onnx_with_matching_checksum_is_refused(copy: Path) -> None:
    garbage = b"this is not an onnx model"
    (copy / "model.onnx").write_bytes(garbage)
    edit_sidecar(copy, sha256=hashlib.sha256(garbage).hexdigest())
    with pytest.raises(ModelLoadError, match="cannot load"):
        ModelRuntime.load(copy)


def test_explicit_cuda_without_cuda_fails_clearly() -> None:
    with pytest.raises(ModelLoadError, match=r"cuda.*DIGITS_PROVIDER=cpu"):
        ModelRuntime.load(latest(), OrtOptions(provider="cuda"))


def test_auto_falls_back_to_cpu() -> None:
    assert ModelRuntime.load(latest(), OrtOptions(provider="auto")).provider == CPU


# onnxruntime keeps quiet by itself on CI machines (it looks for these variables), so the fresh
# process runs without them, as a deployment would; and without any telemetry setting of its own.
QUIET_ORT_ENV = {
    "ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS", "XDG_CACHE_HOME", "CI", "GITHUB_ACTIONS", "GITLAB_CI",
    "TF_BUILD", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "JENKINS_URL", "TRAVIS", "CIRCLECI", "BUILDKITE",
    "TEAMCITY_VERSION", "APPVEYOR", "CODEBUILD_BUILD_ID",
}  # fmt: skip


def _load_in_a_fresh_process(home: Path, **env: str) -> None:
    """Import ``package`` and run the latest model once, in a new interpreter whose home is ``home``."""
    code = (
        "import sys, numpy as np; __import__(sys.argv[1]); import onnxruntime as ort; "
        "s = ort.InferenceSession(sys.argv[2], providers=['CPUExecutionProvider']); "
        "s.run(None, {s.get_inputs()[0].name: np.zeros((1, 28, 28), np.float32)})"
    )
    base = {k: v for k, v in os.environ.items() if k not in QUIET_ORT_ENV}
    package = env.pop("package")
    subprocess.run(
        [sys.executable, "-c", code, package, str(latest() / "model.onnx")],
        env={**base, "HOME": str(home), **env},
        cwd=MODELS.parent,
        check=True,
        timeout=120,
    )


@pytest.mark.parametrize("package", ["service", "training", "eval", "bench"])
def test_onnxruntime_telemetry_is_off_wherever_the_project_runs_it(tmp_path: Path, package: str) -> None:
    # The same run with telemetry asked for shows what onnxruntime would leave behind.
    _load_in_a_fresh_process(tmp_path / "asked", package=package, ORT_DISABLE_TELEMETRY="0")
    if not (tmp_path / "asked" / ".cache" / "Microsoft").exists():
        pytest.skip("this onnxruntime keeps no telemetry state, so there is nothing to tell apart")
    _load_in_a_fresh_process(tmp_path / "default", package=package)
    left = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "default").rglob("*"))
    assert left == [], f"onnxruntime wrote telemetry state: {left}"
