"""deploy/nginx.conf under overload: it sheds past its cap on POSTs in flight, and passes a replica's 503 on.

A real nginx runs the project's config in front of small uvicorn upstreams that count what reaches
them: one holds every POST until released (so the cap fills), others answer 503 like an overloaded
replica.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from bench.servers.nginx import nginx_binary, running_nginx, write_config
from tests.live import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

CAP = 2  # POSTs in flight that nginx lets through in these tests (256 in the committed config)
REPLICA_REFUSAL = b'{"error":{"code":"overloaded","message":"replica at capacity"}}'


class Upstream:
    """An ASGI app standing in for a replica. It counts the POSTs that reach it; each is answered
    with ``status`` at once or, with ``hold``, only once :meth:`release` is called. GETs: 200."""

    def __init__(self, status: int = 200, hold: bool = False) -> None:
        self.status, self.posts = status, 0
        self.released = threading.Event()
        if not hold:
            self.released.set()

    def release(self) -> None:
        self.released.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = REPLICA_REFUSAL if self.status == 503 else b'{"ok":true}'
        if scope["method"] == "POST":
            self.posts += 1
            while not self.released.is_set():
                await asyncio.sleep(0.005)
        else:
            body = b'{"status":"ok"}'
        status = self.status if scope["method"] == "POST" else 200
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextmanager
def serving(app: Upstream) -> Iterator[str]:
    """``app`` on a real uvicorn on 127.0.0.1, in a thread; yields its ``host:port``."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the upstream did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    return binary


def test_past_the_cap_nginx_refuses_posts_itself(tmp_path: Path, nginx: str) -> None:
    replica = Upstream(hold=True)
    port = free_port()
    with serving(replica) as address, ThreadPoolExecutor(CAP) as pool:
        conf = write_config(tmp_path / "nginx", [address], port, max_inflight=CAP)
        with running_nginx(nginx, conf, port) as url, httpx.Client(base_url=url, timeout=20) as client:
            held = [pool.submit(httpx.post, f"{url}/predict", content=b"x", timeout=20) for _ in range(CAP)]
            assert wait_for(lambda: replica.posts == CAP, 10), f"{CAP} POSTs never reached the replica"

            refused, seconds = [], []
            for path in ("/predict", "/predict", "/v2/models/digits/infer"):
                started = time.perf_counter()
                refused.append(client.post(path, content=b"x", headers={"X-Request-ID": "shed-1"}))
                seconds.append(time.perf_counter() - started)
            health = client.get("/healthz")  # GETs are not counted against the cap

            replica.release()
            completed = [future.result(timeout=20).status_code for future in held]
            after = client.post("/predict", content=b"x")
    print(f"\nnginx's own 503s took {', '.join(f'{s * 1000:.1f}' for s in seconds)} ms")

    assert replica.posts == CAP + 1, f"{replica.posts} POSTs reached the replica, not {CAP + 1}"
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"] == "shed-1"
        assert response.headers["x-content-type-options"] == "nosniff"
    overloaded = "the load balancer is at capacity; retry"
    assert orjson.loads(refused[0].content) == {"error": {"code": "overloaded", "message": overloaded}}
    assert orjson.loads(refused[2].content) == {"error": overloaded}, "v2 paths get the v2 error shape"
    assert health.status_code == 200, f"a GET was refused while POSTs filled the cap: {health.text}"
    assert completed == [200] * CAP, f"the held requests ended with {completed}"
    assert after.status_code == 200, f"the cap did not free up once requests finished: {after.text}"


def test_a_replica_503_reaches_the_client_and_leaves_the_replica_in_rotation(
    tmp_path: Path, nginx: str
) -> None:
    """Were 503s retried, they would count towards max_fails: refusing replicas would all be taken
    out of rotation, and nginx would answer 502 "no live upstreams" to everyone, GETs too."""
    replicas = [Upstream(status=503), Upstream(status=503)]
    port = free_port()
    with serving(replicas[0]) as a, serving(replicas[1]) as b:
        conf = write_config(tmp_path / "nginx", [a, b], port)
        with running_nginx(nginx, conf, port) as url, httpx.Client(base_url=url, timeout=20) as client:
            refused = [client.post("/predict", content=b"x") for _ in range(8)]
            health = client.get("/healthz")
    statuses = [r.status_code for r in refused]
    assert statuses == [503] * 8, f"replicas that refuse made nginx answer {statuses}"
    assert all(r.content == REPLICA_REFUSAL for r in refused), "the replica's refusal should pass unchanged"
    assert [r.posts for r in replicas] == [4, 4], "each refusal should cost one try, spread over both"
    assert health.status_code == 200, f"after the refusals a GET got {health.status_code}"


def test_a_request_tries_at_most_two_replicas(tmp_path: Path, nginx: str) -> None:
    """Dead replicas (nothing listens on their ports) are retried, but only once per request."""
    dead = [f"127.0.0.1:{free_port()}" for _ in range(3)]
    port = free_port()
    conf = write_config(tmp_path / "nginx", dead, port)
    with running_nginx(nginx, conf, port) as url, httpx.Client(base_url=url, timeout=20) as client:
        response = client.post("/predict", content=b"x")
    # The access log's "[<upstream>, <upstream>]" names every replica this request was sent to.
    log = (conf.parent / "access.log").read_text().splitlines()
    tried = [line for line in log if line.startswith("502 ")]
    assert response.status_code == 502
    assert len(tried) == 1 and tried[0].split("[")[1].count("127.0.0.1:") == 2, f"tries: {tried}"
