"""Service processes for scale-out tests: start, SIGKILL and restart one on a fixed port."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx

from tests.live import MODELS, ROOT, terminate, wait_ready

_PREDICT_OK = re.compile(
    r'^digits_requests_total\{[^}]*route="/predict"[^}]*status="200"[^}]*\}\s+(\S+)', re.M
)


class Backend:
    """``python -m service`` on 127.0.0.1:``port`` (one worker), which can be killed and restarted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.url = f"http://{self.address}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "DIGITS_MODEL_REPOSITORY": str(MODELS), "DIGITS_LOG_LEVEL": "warning"}
        env.update({"DIGITS_HOST": "127.0.0.1", "DIGITS_PORT": str(self.port), "DIGITS_WORKERS": "1"})
        self.proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        assert self.proc is not None, "start() first"
        wait_ready(self.url, self.proc, timeout_s)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight requests and keepalive connections just die."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc)

    def predictions_served(self) -> int:
        """Successful POST /predict answered by this process, from its own /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        return int(sum(float(value) for value in _PREDICT_OK.findall(text)))
