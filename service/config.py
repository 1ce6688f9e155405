"""All service settings, read once from ``DIGITS_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every field can be set as ``DIGITS_<FIELD>`` (e.g. ``DIGITS_PORT=9000``)."""

    model_config = SettingsConfigDict(
        env_prefix="DIGITS_", protected_namespaces=(), use_attribute_docstrings=True
    )

    model_repository: Path = Path("models")
    """Root of the model repository (``<name>/<version>/model.onnx`` + ``model.json``)."""
    model_name: str = "mnist-lstm"
    """The default model, served by ``/predict``."""
    model_version: int | None = Field(None, ge=1)
    """Pin the served version; unset serves the highest version in the repository."""
    version_policy: Literal["latest", "all"] = "latest"
    """Which versions to load: the newest of each model, or all of them."""
    poll_interval_s: float = Field(5.0, ge=0)
    """How often to look for new versions in the repository (0 = never; reload via the API)."""
    admin_api_key: SecretStr | None = None
    """Key for the management routes (``Authorization: Bearer <key>``); unset disables them."""
    host: str = "127.0.0.1"
    """Interface to bind; use 0.0.0.0 inside a container."""
    port: int = Field(8000, ge=1, le=65535)
    """TCP port to listen on."""
    grpc_port: int = Field(8001, ge=0, le=65535)
    """TCP port of the Open Inference Protocol over gRPC, served by every worker (``SO_REUSEPORT``, like
    the HTTP port); 0 = no gRPC server."""
    workers: int = Field(0, ge=0, le=64)
    """Uvicorn worker processes; 0 = one per CPU core (measured best on 2 cores: +29% req/s)."""
    provider: Literal["auto", "cpu", "cuda"] = "auto"
    """onnxruntime execution provider: ``auto`` uses CUDA when it really works, else the CPU."""
    ort_intra_op_threads: int = Field(1, ge=0)
    """onnxruntime threads inside one operator (0 = onnxruntime's default, all cores)."""
    ort_inter_op_threads: int = Field(1, ge=0)
    """onnxruntime threads across operators (0 = onnxruntime's default)."""
    max_request_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    """Largest request body accepted, enforced while it streams in; also the largest gRPC message."""
    max_image_pixels: int = Field(25_000_000, ge=784)
    """Largest decoded image (width x height) accepted; guards against decompression bombs."""
    max_images_per_request: int = Field(256, ge=1)
    """Most images one request may carry."""
    max_digits_per_image: int = Field(32, ge=1)
    """Most digits ``POST /read`` reads in one image; more are refused with 422 (too_many_digits)."""
    max_batch_size: int = Field(64, ge=1)
    """Most images the batcher puts into one model call (1 with wait 0 disables batching)."""
    max_batch_wait_ms: float = Field(0.0, ge=0)
    """Extra wait for more requests once the model is idle; 0 = adaptive: batches form only while
    the model is busy, so a lone request never waits."""
    max_queue_images: int = Field(2048, ge=1)
    """Images allowed to wait for the model; more are refused with 503 (overloaded)."""
    max_inflight_requests: int = Field(128, ge=1)
    """POST requests and gRPC inference calls, together, that one worker handles at once; more are
    refused at once with 503 (overloaded), over gRPC with RESOURCE_EXHAUSTED."""
    direct_predict: bool = True
    """Serve ``POST /predict`` (and ``POST /read``) straight from the gateway, skipping FastAPI's
    routing and dependency injection (same code and answers; 1,918 vs 1,298 req/s at c=64, see the
    README); false routes them through FastAPI."""
    request_timeout_ms: float = Field(10_000, gt=0)
    """Deadline for a request's images to be classified, else 504."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Log level of the service's JSON logs."""
    slow_gc_ms: float = Field(0.0, ge=0)
    """Log each garbage-collection pass that takes at least this many ms of wall-clock time, with its
    CPU time; 0 = off. The watch runs on every pass, in the request path: its callback had ~3% of a
    worker's event-loop samples at c=64 in a py-spy profile, so it is for when tail latency needs
    explaining (the soak turns it on), not always on."""
    cors_origins: list[str] = []
    """Origins allowed to call the API from browsers; empty = CORS off (env: a JSON list,
    e.g. ``DIGITS_CORS_ORIGINS='["https://example.org"]'``)."""

    @field_validator("model_repository")
    @classmethod
    def _repository_exists(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"model repository {value} is not a directory")
        return value

    @model_validator(mode="after")
    def _ports_differ(self) -> Settings:
        if self.grpc_port == self.port:
            raise ValueError(f"grpc_port and port are both {self.port}; give gRPC its own port (or 0)")
        return self

    @property
    def model_dir(self) -> Path:
        return self.model_repository / self.model_name

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1
