"""Run the real service in a uvicorn subprocess on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(timeout_s: float = 60.0, **settings: object) -> Iterator[str]:
    """Start ``python -m service`` with ``DIGITS_*`` settings; yield its base URL once ready."""
    port = free_port()
    env = os.environ.copy()
    env.update({f"DIGITS_{k.upper()}": str(v) for k, v in settings.items()})
    env.setdefault("DIGITS_MODEL_REPOSITORY", str(MODELS))
    env.setdefault("DIGITS_WORKERS", "1")  # tests share 2 cores; multi-worker tests ask for more
    env.update({"DIGITS_HOST": "127.0.0.1", "DIGITS_PORT": str(port), "DIGITS_LOG_LEVEL": "warning"})
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, timeout_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll ``/readyz`` until 200; fail fast if the process exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited with code {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"service at {url} not ready after {timeout_s}s")
