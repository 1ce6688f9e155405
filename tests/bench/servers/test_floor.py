"""bench.servers.floor and the overload part's floor run: a real uvicorn that refuses everything at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from bench.load import h2load
from bench.servers import launch


def test_floor_server_is_ready_and_refuses_every_other_request(tmp_path: Path) -> None:
    with launch.running(launch.floor(), tmp_path) as url:
        ready = httpx.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        for method, path in [("POST", "/predict"), ("GET", "/"), ("POST", "/v2/models/x/infer")]:
            response = httpx.request(method, f"{url}{path}", content=b"x" * 1000, timeout=5)
            assert response.status_code == 503, (method, path)
            assert response.headers["retry-after"] == "1"
            assert json.loads(response.content)["error"]["code"] == "overloaded"


@pytest.mark.skipif(
    shutil.which("h2load") is None, reason="h2load is not installed (apt-get install -y nghttp2-client)"
)
def test_the_floor_run_counts_every_planned_request_and_times_the_503s(tmp_path: Path) -> None:
    pytest.importorskip("aiohttp", reason="bench.overload needs aiohttp")
    from bench.overload import run_floor

    body = tmp_path / "one.body"
    body.write_bytes(b"x" * 300)
    with launch.running(launch.floor(), tmp_path) as url:
        floor = run_floor(f"{url}/predict", body, "application/octet-stream", 40.0, 1.0, tmp_path)
    planned = h2load.plan(f"{url}/predict", body, "application/octet-stream", 40.0, 1.0).planned
    assert floor.sent == planned and floor.statuses == {"503": planned}, floor.statuses
    assert floor.rejected_p50_ms is not None and floor.rejected_p99_ms is not None
    assert 0 < floor.rejected_p50_ms <= floor.rejected_p99_ms
    assert floor.offered_rps > 0
