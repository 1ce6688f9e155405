"""The worker supervisor for real: ``python -m service`` with two workers on 127.0.0.1.

Each worker must listen on a socket of its own (so the kernel spreads connections), a killed worker
must come back, SIGTERM must stop them all, and a worker that cannot start must stop the service
instead of being restarted forever.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import psutil
import pytest

from service.http.workers import reuse_port_supported
from tests.live import MODELS, ROOT, free_port, wait_ready

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not reuse_port_supported(), reason="the supervisor is used on Linux only"),
]


def start(port: int, **settings: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DIGITS_MODEL_REPOSITORY": str(MODELS), "DIGITS_WORKERS": "2"}
    env.update({"DIGITS_HOST": "127.0.0.1", "DIGITS_PORT": str(port), "DIGITS_LOG_LEVEL": "warning"})
    env.update({f"DIGITS_{k.upper()}": v for k, v in settings.items()})
    return subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env)


def stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM the supervisor and wait; if it hangs, SIGKILL it and the workers it started."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        return proc.wait()


@pytest.fixture
def service() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    proc = start(port)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, 90)
        yield proc, port
    finally:
        stop(proc)


def listeners(parent: int, port: int) -> dict[int, int]:
    """``{worker pid: listening sockets on port}`` for the supervisor's children that listen."""
    found = {}
    for child in psutil.Process(parent).children():
        try:
            sockets = [c for c in child.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            continue
        count = sum(1 for c in sockets if c.laddr.port == port)
        if count:
            found[child.pid] = count
    return found


def wait_for_workers(
    parent: int, port: int, n: int, gone: int | None = None, timeout_s: float = 60
) -> dict[int, int]:
    """Poll until exactly ``n`` children listen on ``port`` (and ``gone`` is not among them)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(found := listeners(parent, port)) == n and gone not in found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"expected {n} listening workers, found {listeners(parent, port)}")


def test_each_worker_listens_on_its_own_socket_and_both_take_connections(
    service: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = service
    workers = wait_for_workers(proc.pid, port, 2)
    assert list(workers.values()) == [1, 1], "one SO_REUSEPORT socket per worker"
    with ExitStack() as stack:
        conns = [stack.enter_context(socket.create_connection(("127.0.0.1", port))) for _ in range(64)]
        for conn in conns:  # a request on each, so each connection has surely been accepted
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for conn in conns:
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        per_worker = {
            pid: sum(1 for c in psutil.Process(pid).net_connections("tcp") if c.laddr.port == port)
            - workers[pid]
            for pid in workers
        }
    assert sum(per_worker.values()) == 64
    # A fair hash puts 32 +- 4 on each; the shared socket of uvicorn's workers gave splits like 3/61.
    assert min(per_worker.values()) >= 8, f"connections per worker: {per_worker}"


def test_a_killed_worker_is_replaced(service: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = service
    victim = next(iter(wait_for_workers(proc.pid, port, 2)))
    os.kill(victim, signal.SIGKILL)
    wait_for_workers(proc.pid, port, 2, gone=victim)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        statuses = {client.get("/readyz").status_code for _ in range(20)}
    assert statuses == {200}


def test_sigterm_stops_every_worker(service: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = service
    workers = list(wait_for_workers(proc.pid, port, 2))
    assert stop(proc) == 0
    assert not [pid for pid in workers if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def test_a_worker_that_cannot_start_stops_the_service() -> None:
    proc = start(free_port(), model_name="no-such-model")
    try:
        code = proc.wait(timeout=90)
    finally:
        stop(proc)
    assert code == 3, "uvicorn's start-up failure code, not an endless restart loop"
