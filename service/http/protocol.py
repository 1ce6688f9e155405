"""The HTTP/1.1 protocol uvicorn runs for the service: uvicorn's httptools protocol, with each response's
head sent together with its body, in one write.

uvicorn writes a response's status line and headers as soon as the app sends ``http.response.start``,
and the body in a second write. Two writes cost two system calls, two TCP segments and two wake-ups of
the client, and they leave a gap between head and body. That gap lost requests: a replica killed
(SIGKILL) between the two writes left nginx holding a head without a body, too late to retry on
another replica, so the client got a truncated response (1 run in 8 of
``tests/deploy/test_nginx_failover.py``). Sent in one write, a response is either all there or not
sent at all, and then nginx retries it.

:class:`ResponseWriter` stands between one request's cycle and the connection's transport; it holds
the head until the first body write, then sends both with ``writelines`` (one ``writev``). A response
with no body write (``HEAD``) sends its head at once, as do interim ``100 Continue`` responses, which
come before the response starts. Everything else about the protocol is uvicorn's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class ResponseWriter:
    """The transport as one request's cycle sees it: the response's head waits for its first body write."""

    __slots__ = ("_cycle", "_held", "_started", "transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self.transport, self._cycle = transport, cycle
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if self._held is not None:
            head, self._held = self._held, None
            self.transport.writelines((head, data))
        elif self._cycle.response_started and not self._started:
            # uvicorn sets response_started, then writes the head: this is the head.
            self._started = True
            if self._cycle.scope["method"] == "HEAD":  # no body write will follow
                self.transport.write(data)
            else:
                self._held = bytes(data)
        else:
            self.transport.write(data)

    def close(self) -> None:
        """Send a head still held (an app that failed after starting its response), then close."""
        if self._held is not None:
            head, self._held = self._held, None
            self.transport.write(head)
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; each request's cycle writes through a :class:`ResponseWriter`."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        cycle.transport = ResponseWriter(self.transport, cycle)  # type: ignore[assignment]
        super()._start_asgi_task(cycle, app)
