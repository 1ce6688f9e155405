"""Run several uvicorn workers, each listening on its own ``SO_REUSEPORT`` socket.

uvicorn's ``--workers`` shares one listening socket between its processes, and whichever worker is in
``accept()`` first takes the next connection. Under load that is rarely fair: with 64 keep-alive
connections from wrk, ``ss`` showed splits of 3/61, 14/50 and 47/17 between two workers, so one
worker queued most requests while the other idled. With a socket per worker, Linux hashes each new
connection to one of the listening sockets, so the connections, and the load, split evenly.

:class:`Supervisor` starts the workers, restarts one that dies, stops them all on SIGTERM or SIGINT
(each finishes its requests in flight, as a lone uvicorn would), and gives up at once if a worker
fails during start-up (a broken model or setting fails the same way every time). Elsewhere than on
Linux, ``python -m service`` falls back to uvicorn's own workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger(__name__)
POLL_S = 0.5


def reuse_port_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not listening yet)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve(config: dict[str, Any]) -> None:
    """One worker: uvicorn on a socket of its own (uvicorn listens on it once the app is ready)."""
    sock = bind(config["host"], config["port"])
    uvicorn.Server(uvicorn.Config(**config)).run(sockets=[sock])


class Supervisor:
    """Keep ``workers`` processes running :func:`serve` until told to stop; ``run`` returns the exit code."""

    def __init__(self, config: dict[str, Any], workers: int) -> None:
        self.config, self.workers = config, workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        # Bound but never listening: it holds the port (and fails fast if another program has it)
        # without taking any connections.
        holder = bind(self.config["host"], self.config["port"])
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stopping.set())
        try:
            self.processes = [self._start() for _ in range(self.workers)]
            log.info("workers started", extra={"pids": [p.pid for p in self.processes]})
            return self._watch()
        finally:
            self._stop_all()
            holder.close()

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=serve, args=(self.config,), name="digits-worker")
        process.start()
        return process

    def _watch(self) -> int:
        """Restart dead workers; 0 once asked to stop, the failed worker's code if start-up failed."""
        while not self.stopping.wait(POLL_S):
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("a worker failed to start; stopping", extra={"pid": process.pid})
                    return STARTUP_FAILURE
                log.warning(
                    "worker died; restarting", extra={"pid": process.pid, "exitcode": process.exitcode}
                )
                self.processes[index] = self._start()
        return 0

    def _stop_all(self) -> None:
        """SIGTERM every worker (uvicorn drains its requests), then wait; SIGKILL any that hang."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        grace_s = float(self.config.get("timeout_graceful_shutdown") or 0) + 5
        for process in self.processes:
            process.join(grace_s)
            if process.is_alive():
                log.error("worker did not stop in time; killing it", extra={"pid": process.pid})
                process.kill()
                process.join()
