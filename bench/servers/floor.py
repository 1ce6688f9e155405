"""The load generator's floor: an ASGI app that refuses every request at once, on the service's stack.

The overload part measures how quickly the service's 503s arrive. On a small machine the load
generator shares the cores, and hey's own scheduling, connection set-up and bursts add latency that
no server can remove. Driving this app with the very same load tells that part apart: its 503s cost
uvicorn's HTTP handling and nothing else (no body read, no middleware, no metrics, no logging), so
their latency is the lowest any Python service on uvicorn could show on this machine under that load.

Same stack as the service: uvicorn with uvloop and httptools, one worker per core by default.
``GET /readyz`` answers 200 (so :func:`bench.servers.launch.running` can wait for it); everything else 503.

Run: ``python -m bench.servers.floor --port 8002 [--workers N]``.
"""

from __future__ import annotations

import argparse
import os

import uvicorn
from starlette.types import Receive, Scope, Send

READY = b'{"status":"ready"}'
REFUSAL = b'{"error":{"code":"overloaded","message":"the floor server refuses every request; retry"}}'


def _headers(body: bytes, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), *extra]


READY_HEADERS = _headers(READY)
REFUSAL_HEADERS = _headers(REFUSAL, (b"retry-after", b"1"))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan: nothing to set up
        return
    ready = scope["method"] == "GET" and scope["path"] == "/readyz"
    body, headers = (READY, READY_HEADERS) if ready else (REFUSAL, REFUSAL_HEADERS)
    await send({"type": "http.response.start", "status": 200 if ready else 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="default: one per core")
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.servers.floor:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
