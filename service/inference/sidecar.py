"""Read and check a model's JSON sidecar (``model.json``) against its ONNX file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import ModelLoadError

SUPPORTED_SCHEMA = 1


class TensorSpec(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class CalibrationSpec(BaseModel):
    """The ``calibration`` block: when a prediction is uncertain (see service.inference.calibration)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    temperature: float = Field(gt=0)
    min_confidence: float = Field(ge=0, le=1)


class Sidecar(BaseModel):
    """The fields of ``model.json`` that the service relies on (others are kept as-is)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    schema_version: int
    name: str
    version: int
    file: str
    sha256: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    output_kind: str = "logits"
    labels: list[str]
    preprocessing: dict[str, Any]
    metrics: dict[str, Any]
    created_at: str
    opset: int
    calibration: CalibrationSpec | None = None

    @property
    def input_name(self) -> str:
        return self.inputs[0].name

    @property
    def output_name(self) -> str:
        return self.outputs[0].name

    def public_metadata(self) -> dict[str, Any]:
        """What ``GET /model`` shows: identity, accuracy, and the input contract."""
        extra = self.model_extra or {}
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "created_at": self.created_at,
            "opset": self.opset,
            "inputs": [t.model_dump() for t in self.inputs],
            "outputs": [t.model_dump() for t in self.outputs],
            "labels": self.labels,
            "test_accuracy": self.metrics.get("test_accuracy"),
            "input_contract": self.preprocessing,
            "quantization": extra.get("quantization"),
            "calibration": self.calibration.model_dump() if self.calibration else None,
        }


def read_sidecar(version_dir: Path) -> Sidecar:
    """Parse ``model.json`` and check it against the ONNX file beside it."""
    path = version_dir / "model.json"
    try:
        sidecar = Sidecar.model_validate(json.loads(path.read_text()))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{version_dir}: no model.json sidecar") from exc
    except (ValueError, ValidationError) as exc:
        raise ModelLoadError(f"{path}: invalid sidecar: {exc}") from exc
    _check(sidecar, version_dir)
    return sidecar


def _check(sidecar: Sidecar, version_dir: Path) -> None:
    if sidecar.schema_version != SUPPORTED_SCHEMA:
        raise ModelLoadError(f"{version_dir}: sidecar schema {sidecar.schema_version} is not supported")
    if version_dir.name.isdigit() and int(version_dir.name) != sidecar.version:
        raise ModelLoadError(f"{version_dir}: sidecar says version {sidecar.version}")
    model = version_dir / sidecar.file
    if not model.is_file():
        raise ModelLoadError(f"{version_dir}: {sidecar.file} is missing")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != sidecar.sha256:
        raise ModelLoadError(f"{model}: sha256 {digest} does not match the sidecar's {sidecar.sha256}")
    if [t.shape for t in sidecar.inputs] != [[-1, 28, 28]] or [t.shape for t in sidecar.outputs] != [
        [-1, 10]
    ]:
        raise ModelLoadError(f"{version_dir}: sidecar declares unsupported shapes")
    if sidecar.preprocessing.get("value_range") != [0.0, 1.0] or len(sidecar.labels) != 10:
        raise ModelLoadError(f"{version_dir}: sidecar's input contract is not the one this service speaks")
