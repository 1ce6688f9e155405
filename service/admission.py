"""Admission control: one worker's cap on inference requests in progress, shared by HTTP and gRPC.

Past the cap a request is refused at once (503 over HTTP, ``RESOURCE_EXHAUSTED`` over gRPC) instead
of waiting in line behind a saturated event loop. HTTP and gRPC callers count against the same cap, so
a worker never holds more than ``limit`` of them together. Single-threaded: used on the event loop only.
"""

from __future__ import annotations


class Admission:
    __slots__ = ("inflight", "limit")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.limit, self.inflight = limit, 0

    def enter(self) -> bool:
        """Take a place if one is free (True); the caller must :meth:`leave` it when done."""
        if self.inflight >= self.limit:
            return False
        self.inflight += 1
        return True

    def leave(self) -> None:
        self.inflight -= 1
