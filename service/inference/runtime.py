"""The onnxruntime session for one model version, and nothing of HTTP.

``ModelRuntime.load(version_dir, ...)`` checks the sidecar against the ONNX
file, picks the execution provider, and warms the session up; then
``predict(float32[B, 28, 28]) -> float32[B, 10]`` returns probabilities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort

from service.errors import ModelLoadError
from service.inference.sidecar import Sidecar, read_sidecar

log = logging.getLogger(__name__)

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
ProviderChoice = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class OrtOptions:
    provider: ProviderChoice = "auto"
    intra_op_threads: int = 1
    inter_op_threads: int = 1


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


class ModelRuntime:
    """One loaded, validated and warmed-up model version."""

    def __init__(self, sidecar: Sidecar, session: ort.InferenceSession, provider: str) -> None:
        self.sidecar = sidecar
        self.provider = provider
        self._session = session
        self._input, self._output = sidecar.input_name, sidecar.output_name
        self._logits = sidecar.output_kind == "logits"

    @classmethod
    def load(cls, version_dir: Path, options: OrtOptions = OrtOptions()) -> ModelRuntime:
        """Validate the sidecar, open the session on the chosen provider, and warm it up."""
        sidecar = read_sidecar(version_dir)
        session, provider = _open_session(version_dir / sidecar.file, options)
        _check_io(session, sidecar)
        runtime = cls(sidecar, session, provider)
        runtime.warm_up()
        log.info(
            "model loaded",
            extra={"model": sidecar.name, "version": sidecar.version, "provider": provider},
        )
        return runtime

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """``float32[B, 28, 28]`` in [0, 1] -> class probabilities ``float32[B, 10]``."""
        (out,) = self._session.run([self._output], {self._input: pixels})
        return softmax(out) if self._logits else out

    def warm_up(self) -> None:
        """Run the batch sizes the batcher will use once, so the first request is not slow."""
        for batch in (1, 8, 64):
            probs = self.predict(np.zeros((batch, 28, 28), np.float32))
            if probs.shape != (batch, 10) or not np.isfinite(probs).all():
                raise ModelLoadError(f"{self.sidecar.name}: warm-up gave {probs.shape} or non-finite output")

    def metadata(self) -> dict[str, Any]:
        return self.sidecar.public_metadata() | {"provider": self.provider}


def _session_options(options: OrtOptions) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = options.intra_op_threads
    opts.inter_op_num_threads = options.inter_op_threads
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads steal the cores the web server needs.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return opts


def _open_session(path: Path, options: OrtOptions) -> tuple[ort.InferenceSession, str]:
    """Open on CUDA when asked or (``auto``) when it really works; otherwise on the CPU."""
    opts = _session_options(options)
    ort.disable_telemetry_events()  # it would try to write an ID to a (possibly read-only) disk
    available = ort.get_available_providers()
    if options.provider == "cuda" and CUDA not in available:
        raise ModelLoadError(
            f"provider 'cuda' requested but onnxruntime offers only {available}; "
            "install onnxruntime-gpu with a matching CUDA, or set DIGITS_PROVIDER=cpu"
        )
    if options.provider in ("cuda", "auto") and CUDA in available:
        try:
            session = ort.InferenceSession(str(path), opts, providers=[CUDA, CPU])
            if session.get_providers()[0] == CUDA:
                return session, CUDA
            if options.provider == "cuda":
                raise ModelLoadError("provider 'cuda' requested but the CUDA session could not be created")
        except Exception as exc:  # onnxruntime raises its own pybind error types
            if options.provider == "cuda":
                raise ModelLoadError(f"provider 'cuda' requested but failed: {exc}") from exc
            log.warning("CUDA provider unusable, falling back to CPU: %s", exc)
    try:
        return ort.InferenceSession(str(path), opts, providers=[CPU]), CPU
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad model
        raise ModelLoadError(f"{path.parent.name}: onnxruntime cannot load the model: {exc}") from exc


def _check_io(session: ort.InferenceSession, sidecar: Sidecar) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    got = ([i.name for i in inputs], [o.name for o in outputs])
    want = ([sidecar.input_name], [sidecar.output_name])
    if got != want:
        raise ModelLoadError(f"model I/O names {got} do not match the sidecar's {want}")
    if list(inputs[0].shape[1:]) != [28, 28] or list(outputs[0].shape[1:]) != [10]:
        raise ModelLoadError(
            f"model shapes {inputs[0].shape} -> {outputs[0].shape} do not match [-1, 28, 28] -> [-1, 10]"
        )
