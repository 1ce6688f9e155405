"""What the load generators share: the plan of a rate-limited load, the tally of its answers by status,
and stopping a generator at its deadline. ``bench.load.hey`` drives the soak, ``bench.load.h2load``
the overload.

Neither generator lists a request that got no answer, and both exit 0 regardless, so a load is an
exact number of requests and every planned request without an answer counts as ``FAILED``, or
``CUT_OFF`` if the generator had to be stopped. Neither can pass for a success.
"""

from __future__ import annotations

import math
import signal
import subprocess
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FAILED = "failed"
"""No HTTP answer: connection refused or reset, or no answer within the timeout."""
CUT_OFF = "cut off"
"""The generator was stopped at its deadline: neither answered nor known to have been sent."""
WORKER_QPS = 4.0
MAX_WORKERS = 1024
"""Up to ``MAX_WORKERS`` workers at ``WORKER_QPS`` each, then faster workers (see :func:`workers_for`)."""


@dataclass(frozen=True)
class Load:
    """``workers`` (hey's workers, h2load's clients) in ``processes`` generator processes, each worker
    sending ``requests`` requests at ``qps`` per second."""

    url: str
    body_file: Path
    content_type: str
    workers: int
    qps: float
    requests: int
    processes: int = 1
    timeout_s: int = 10

    @property
    def planned(self) -> int:
        return self.workers * self.requests

    @property
    def duration_s(self) -> float:
        return self.requests / self.qps

    def shares(self) -> list[int]:
        """Workers per process, as even as possible."""
        base, extra = divmod(self.workers, self.processes)
        return [base + (k < extra) for k in range(self.processes)]


def workers_for(rate: float) -> tuple[int, float]:
    """``(workers, req/s each)`` for ``rate`` req/s: ``rate / WORKER_QPS`` workers, at most ``MAX_WORKERS``.

    A worker waits for each answer. At 4 req/s its 250 ms period is far above a quick answer (a 503
    takes milliseconds). The workers a loaded server holds (the service admits 128 requests per
    process) each fall short of their rate: 256 held workers cost ~1,000 req/s, about what the server
    answers meanwhile, so the offered rate stays close to ``rate``. Past ``MAX_WORKERS`` the
    per-worker rate rises instead (~10 req/s at 10,000 req/s).
    """
    workers = max(1, min(MAX_WORKERS, math.ceil(rate / WORKER_QPS)))
    return workers, rate / workers


@dataclass
class Tally:
    """Answers per status, latencies per status (seconds, 8 bytes each) and the load's time span."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, array[float]] = field(default_factory=dict)
    first_sent_s: float = math.inf
    last_sent_s: float = -math.inf
    last_answer_s: float = -math.inf
    since_s: float = -math.inf
    """Answers to requests sent before this offset are left out (a warm-up inside the same run)."""

    def add(self, status: str, latency_s: float, sent_s: float) -> None:
        if sent_s < self.since_s:
            return
        self.statuses[status] += 1
        self.latencies.setdefault(status, array("d")).append(latency_s)
        self.first_sent_s = min(self.first_sent_s, sent_s)
        self.last_sent_s = max(self.last_sent_s, sent_s)
        self.last_answer_s = max(self.last_answer_s, sent_s + latency_s)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def of(self, *statuses: str) -> np.ndarray:
        """Latencies (seconds) of the answers with any of ``statuses``."""
        parts = [np.frombuffer(self.latencies[s]) for s in statuses if s in self.latencies]
        return np.concatenate(parts) if parts else np.empty(0)

    def count_unanswered(self, planned: int, answered: int, cut_off: bool) -> None:
        """Planned requests without an answer: ``FAILED``, or ``CUT_OFF`` if the generator was stopped."""
        if planned > answered:
            self.statuses[CUT_OFF if cut_off else FAILED] += planned - answered


@dataclass(frozen=True)
class Run:
    """A finished load: what was planned, what came back, and when the tally's clock started."""

    load: Load
    tally: Tally
    origin: float
    """``time.perf_counter()`` that the tally's offsets count from."""
    cut_off: bool
    """True if the generator had to be stopped at the deadline (its missing requests are ``CUT_OFF``)."""


def wait_or_stop(popen: subprocess.Popen[bytes], deadline: float, grace_s: float) -> bool:
    """Wait until ``deadline`` (``time.perf_counter()``); then SIGINT (hey then prints what it has), then,
    after ``grace_s``, SIGKILL. Was it stopped?"""
    try:
        popen.wait(timeout=max(0.0, deadline - time.perf_counter()))
        return False
    except subprocess.TimeoutExpired:
        popen.send_signal(signal.SIGINT)
    try:
        popen.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()
    return True
