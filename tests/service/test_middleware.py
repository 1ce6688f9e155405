"""Admission control sheds load at the door: a unit test on a bare ASGI app."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from service.metrics import Metrics
from service.middleware import AdmissionMiddleware


class HeldApp:
    """Answers 200 once released, so requests stay in flight as long as a test wants."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_requests_past_the_limit_get_a_quick_503_and_the_rest_complete() -> None:
    async def scenario() -> tuple[list[int], list[httpx.Response], httpx.Response, float, int]:
        inner, metrics = HeldApp(), Metrics()
        app = AdmissionMiddleware(inner, max_inflight=2, metrics=metrics)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            held = [asyncio.create_task(client.post("/predict", content=b"{}")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = [await client.post("/predict", content=b"{}") for _ in range(3)]
            probe = asyncio.create_task(client.get("/healthz"))  # GETs pass even when full
            await asyncio.sleep(0.05)
            inner.release.set()
            done = [r.status_code for r in await asyncio.gather(*held)]
            after = await client.post("/predict", content=b"{}")
            probe_status = (await probe).status_code
        rejected = metrics.rejected._value.get()
        return done, refused, after, rejected, probe_status

    done, refused, after, rejected, probe_status = asyncio.run(scenario())
    assert probe_status == 200
    assert done == [200, 200], "admitted requests complete"
    assert [r.status_code for r in refused] == [503, 503, 503]
    assert refused[0].headers["retry-after"] == "1"
    assert refused[0].json()["error"]["code"] == "overloaded"
    assert after.status_code == 200, "capacity comes back once requests finish"
    assert rejected == 3
