"""Start the servers under test on 127.0.0.1 on free ports, wait until ready, and stop them by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServerSpec:
    """``python -m <module> [args] --host 127.0.0.1 --port N`` with extra environment variables."""

    name: str
    module: str
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()


def service(name: str, **settings: object) -> ServerSpec:
    """The real service; ``settings`` become ``DIGITS_*`` variables over the caller's environment.

    No gRPC server unless ``grpc_port`` is given: several services run at once, and one port shared
    through ``SO_REUSEPORT`` would mix them."""
    env = {f"DIGITS_{key.upper()}": str(value) for key, value in settings.items()}
    env.setdefault("DIGITS_GRPC_PORT", "0")
    env.setdefault("DIGITS_MODEL_REPOSITORY", os.environ.get("DIGITS_MODEL_REPOSITORY", str(ROOT / "models")))
    return ServerSpec(name, "service", env)


def naive() -> ServerSpec:
    return ServerSpec("naive", "bench.servers.naive")


def floor() -> ServerSpec:
    """:mod:`bench.servers.floor`: refuses everything at once; what the load generator alone costs."""
    return ServerSpec("floor", "bench.servers.floor")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(spec: ServerSpec, log_dir: Path, ready_timeout_s: float = 90.0) -> Iterator[str]:
    """Run one server; yield its base URL once ``/readyz`` answers 200; always stop it."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}.log"
    env = {**os.environ, **spec.env, "DIGITS_HOST": HOST, "DIGITS_PORT": str(port)}
    command = [sys.executable, "-m", spec.module, *spec.args, "--host", HOST, "--port", str(port)]
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches only this script, which then stops the server cleanly.
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    try:
        wait_ready(url, proc, ready_timeout_s, log_path)
        yield url
    finally:
        stop(proc)


@contextmanager
def running_all(specs: list[ServerSpec], log_dir: Path) -> Iterator[dict[str, str]]:
    """Run several servers at once (idle ones cost nearly nothing); yield ``{name: url}``."""
    with ExitStack() as stack:
        yield {spec.name: stack.enter_context(running(spec, log_dir)) for spec in specs}


def wait_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    log_path: Path | None = None,
    path: str = "/readyz",
) -> None:
    """Poll ``path`` until 200; fail fast if the process exits first (``log_path`` says where to look)."""
    see = f"; see {log_path}" if log_path else ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before it was ready{see}")
        try:
            if httpx.get(f"{url}{path}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {url} not ready after {timeout_s:g}s{see}")


def stop(proc: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM the server (uvicorn stops its workers), then SIGKILL its process group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we created for it: its workers, nothing else
    except ProcessLookupError:
        return
    proc.wait()
