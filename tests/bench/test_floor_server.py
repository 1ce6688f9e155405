"""bench.floor_server, the overload part's calibration: a real uvicorn that refuses everything at once."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bench import servers


def test_floor_server_is_ready_and_refuses_every_other_request(tmp_path: Path) -> None:
    with servers.running(servers.floor(), tmp_path) as url:
        ready = httpx.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        for method, path in [("POST", "/predict"), ("GET", "/"), ("POST", "/v2/models/x/infer")]:
            response = httpx.request(method, f"{url}{path}", content=b"x" * 1000, timeout=5)
            assert response.status_code == 503, (method, path)
            assert response.headers["retry-after"] == "1"
            assert json.loads(response.content)["error"]["code"] == "overloaded"
