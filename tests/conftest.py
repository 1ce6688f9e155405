"""Shared fixtures: where MNIST lives for tests (never downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """$MNIST_DIR, else the shared read-only copy beside the checkout; skip when neither exists."""
    env = os.environ.get("MNIST_DIR")
    path = Path(env) if env else SHARED_MNIST
    if not (path / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST not found at {path}; set MNIST_DIR to a directory with the four IDX files")
    return path


def pytest_configure(config: pytest.Config) -> None:
    """No gRPC server unless a test asks for one (``grpc_port=...``): the default port, 8001, is shared
    by every service that runs on this machine (``SO_REUSEPORT``), or refused if another user has it."""
    os.environ.setdefault("DIGITS_GRPC_PORT", "0")
