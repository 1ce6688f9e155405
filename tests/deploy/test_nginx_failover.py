"""Scale-out without containers: deploy/nginx.conf in front of three service processes.

Under a steady load, one backend is SIGKILLed: nginx must retry every request it had sent
there on another backend, so no client sees an error. Once the backend is restarted,
nginx must send it traffic again (its own /metrics counter proves it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bench.servers.nginx import nginx_binary, running_nginx, write_config
from tests.deploy.backends import Backend
from tests.live import ROOT, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

DIGIT_PNG, DIGIT = ROOT / "tests" / "data" / "realworld" / "stroke-00003.png", 3
CLIENTS = 4  # concurrent clients, each sending one request at a time
KILL_AFTER_S = 4.0  # steady load before the kill
DOWN_FOR_S = 3.0  # how long the killed backend stays down
RETURN_WITHIN_S = 30.0  # bound on waiting for the restarted backend to be used again
BACK_IN_ROTATION = 10  # requests it must serve: more than nginx's single probe after fail_timeout


@dataclass
class Load:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    ok_while_down: int = 0
    served_after_restart: int = 0
    seconds: float = 0.0


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    pool = [Backend(free_port()) for _ in range(3)]
    try:
        for backend in pool:
            backend.start()
        for backend in pool:
            backend.wait_ready()
        yield pool
    finally:
        for backend in pool:
            backend.stop()


async def _client(url: str, png: bytes, stop: asyncio.Event, load: Load) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        while not stop.is_set():
            try:
                response = await client.post("/predict", files={"file": ("digit.png", png, "image/png")})
            except httpx.HTTPError as exc:
                load.failures.append(f"transport: {exc!r}")
                continue
            if response.status_code == 200 and response.json()["predictions"][0]["digit"] == DIGIT:
                load.ok += 1
            else:
                load.failures.append(f"{response.status_code}: {response.text[:200]}")


def _wait_until_served(backend: Backend, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while (served := backend.predictions_served()) < BACK_IN_ROTATION and time.monotonic() < deadline:
        time.sleep(0.5)
    return served


async def _kill_and_restart(url: str, victim: Backend) -> Load:
    load, stop, started = Load(), asyncio.Event(), time.monotonic()
    png = DIGIT_PNG.read_bytes()
    clients = [asyncio.create_task(_client(url, png, stop, load)) for _ in range(CLIENTS)]
    try:
        await asyncio.sleep(KILL_AFTER_S)
        await asyncio.to_thread(victim.kill)
        ok_at_kill = load.ok
        await asyncio.sleep(DOWN_FOR_S)
        load.ok_while_down = load.ok - ok_at_kill
        victim.start()
        await asyncio.to_thread(victim.wait_ready)
        load.served_after_restart = await asyncio.to_thread(_wait_until_served, victim, RETURN_WITHIN_S)
    finally:
        stop.set()
        await asyncio.gather(*clients)
    load.seconds = time.monotonic() - started
    return load


def _retried_away_from(access_log: Path, address: str) -> int:
    """Requests whose first attempt went to ``address`` and that nginx then sent elsewhere."""
    return sum(f"[{address}, " in line for line in access_log.read_text().splitlines())


def test_sigkill_of_one_backend_loses_no_request(tmp_path: Path, backends: list[Backend]) -> None:
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    port = free_port()
    conf = write_config(tmp_path / "nginx", [b.address for b in backends], port)
    victim = backends[0]
    with running_nginx(nginx, conf, port) as url:
        load = asyncio.run(_kill_and_restart(url, victim))
    retried = _retried_away_from(conf.parent / "access.log", victim.address)
    print(
        f"\nfailover: {load.ok + len(load.failures)} requests in {load.seconds:.1f}s, "
        f"{len(load.failures)} failed, {load.ok_while_down} answered while a backend was down, "
        f"{retried} retried away from the killed backend, "
        f"{load.served_after_restart} served by it after its restart"
    )
    assert not load.failures, f"{len(load.failures)} client requests failed, e.g. {load.failures[:3]}"
    assert load.ok_while_down > 0, (
        "no request completed while the backend was down: the kill was not under load"
    )
    assert retried > 0, "nginx never tried the killed backend, so failover was not exercised"
    assert load.served_after_restart >= BACK_IN_ROTATION, (
        f"the restarted backend served {load.served_after_restart} requests within {RETURN_WITHIN_S}s"
    )
