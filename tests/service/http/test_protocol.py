"""service.http.protocol: each response's head and body go out in one write, and HTTP stays HTTP.

Three levels: the writer on its own; uvicorn's real protocol with our subclass, fed raw bytes over a
recording transport (so a uvicorn upgrade that bypasses the writer fails here); and the real service
over real sockets (keep-alive, pipelining, ``Expect: 100-continue``, ``HEAD``).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from service.http.protocol import HttpProtocol, ResponseWriter
from tests.live import live_server


class RecordingTransport(asyncio.Transport):
    """Records each write call as it would reach the socket: one entry per ``write``/``writelines``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.calls.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.calls.append(b"".join(bytes(d) for d in list_of_data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class FakeCycle:
    def __init__(self, method: str = "POST") -> None:
        self.scope = {"method": method}
        self.response_started = False


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_the_head_waits_for_the_body_and_both_go_in_one_write() -> None:
    transport, cycle = RecordingTransport(), FakeCycle()
    writer = ResponseWriter(transport, cycle)  # type: ignore[arg-type]
    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the response starts: at once
    assert transport.calls == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    cycle.response_started = True
    writer.write(HEAD)
    assert len(transport.calls) == 1, "the head is held"
    writer.write(b"ok")
    assert transport.calls[1:] == [HEAD + b"ok"]
    writer.write(b"more")  # a streamed body's later chunks pass straight through
    assert transport.calls[2:] == [b"more"]


def test_a_head_request_sends_its_head_at_once() -> None:
    transport, cycle = RecordingTransport(), FakeCycle("HEAD")
    cycle.response_started = True
    ResponseWriter(transport, cycle).write(HEAD)  # type: ignore[arg-type]
    assert transport.calls == [HEAD]


def test_closing_sends_a_held_head_first() -> None:
    transport, cycle = RecordingTransport(), FakeCycle()
    writer = ResponseWriter(transport, cycle)  # type: ignore[arg-type]
    cycle.response_started = True
    writer.write(HEAD)
    writer.close()
    assert transport.calls == [HEAD] and transport.closed


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in (b"one", b"two"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b'{"path":"' + scope["path"].encode() + b'"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _serve(raw: bytes, answers: int) -> RecordingTransport:
    """Feed ``raw`` to uvicorn's protocol with our subclass; wait for ``answers`` complete responses."""
    config = uvicorn.Config(_app, http=HttpProtocol, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    protocol = HttpProtocol(config=config, server_state=state, app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(raw)
    for _ in range(200):
        if state.total_requests >= answers:
            break
        await asyncio.sleep(0.005)
    protocol.connection_lost(None)
    return transport


def test_uvicorns_protocol_with_the_subclass_writes_each_response_once() -> None:
    raw = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\n\r\n"  # pipelined
    transport = asyncio.run(_serve(raw, answers=2))
    assert len(transport.calls) == 2, transport.calls
    for call, path in zip(transport.calls, (b"/a", b"/b"), strict=True):
        head, body = call.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK") and body == b'{"path":"' + path + b'"}'


def test_a_streamed_response_sends_its_head_with_the_first_chunk() -> None:
    transport = asyncio.run(_serve(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n", answers=1))
    assert transport.calls[0].startswith(b"HTTP/1.1 200 OK") and transport.calls[0].endswith(b"3\r\none\r\n")
    assert transport.calls[1:] == [b"3\r\ntwo\r\n", b"0\r\n\r\n"]


def _read_response(sock: socket.socket, buffer: bytearray, has_body: bool = True) -> tuple[bytes, bytes]:
    """One response (head, body by content-length) from ``sock``; leftovers stay in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-response: {bytes(buffer)!r}"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields.get(b"content-length", b"0")) if has_body else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    buffer[:] = rest[length:]
    return head, rest[:length]


@pytest.mark.timeout(120)
def test_the_real_service_speaks_http_over_one_kept_alive_connection() -> None:
    body = b'{"images": [[' + b",".join([b"[" + b",".join([b"0"] * 28) + b"]"] * 28) + b"]]}"
    predict = b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    predict += b"content-length: %d\r\n" % len(body)
    with live_server() as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            buffer = bytearray()
            # Two requests in one packet (pipelined), then HEAD, then Expect: 100-continue.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n" + predict + b"\r\n" + body)
            head, answer = _read_response(sock, buffer)
            assert head.startswith(b"HTTP/1.1 200") and b'"ok"' in answer
            head, answer = _read_response(sock, buffer)
            assert head.startswith(b"HTTP/1.1 200") and b'"predictions"' in answer
            sock.sendall(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
            head, _ = _read_response(sock, buffer, has_body=False)  # a length, but no body
            assert head.startswith(b"HTTP/1.1 ")
            sock.sendall(predict + b"expect: 100-continue\r\n\r\n")
            interim, _ = _read_response(sock, buffer)
            assert interim == b"HTTP/1.1 100 Continue", "the interim answer is not held back"
            sock.sendall(body)
            head, answer = _read_response(sock, buffer)
            assert head.startswith(b"HTTP/1.1 200") and b'"predictions"' in answer


def test_python_m_service_runs_every_worker_on_this_protocol() -> None:
    from service.__main__ import uvicorn_config
    from service.config import Settings

    config = uvicorn.Config(**uvicorn_config(Settings()))
    config.load()
    assert config.http_protocol_class is HttpProtocol
