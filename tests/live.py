"""Run the real service in a uvicorn subprocess on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers.launch import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


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
        terminate(proc)


def terminate(proc: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM a process we started and wait for it; SIGKILL it if it outlives ``grace_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
