"""Zero-downtime hot reload on a real uvicorn, under a concurrent client loop."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.live import MODELS, live_server, wait_for

pytestmark = pytest.mark.slow

ZERO = {"images": [[[0] * 28] * 28]}


def latest(name: str = "mnist-lstm") -> Path:
    return max((p for p in (MODELS / name).iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def add_version(repo: Path, version: int, corrupt: bool = False) -> float:
    """Publish a copy of the committed model as ``version``, atomically (stage, then rename)."""
    stage = repo / f".stage-{version}"
    shutil.copytree(latest(), stage)
    sidecar = json.loads((stage / "model.json").read_text())
    (stage / "model.json").write_text(json.dumps(sidecar | {"version": version}))
    if corrupt:
        (stage / "model.onnx").write_bytes(b"\0" * 1000)
    published = time.monotonic()
    stage.rename(repo / "mnist-lstm" / str(version))
    return published


class ClientLoop(threading.Thread):
    """Sends /predict requests back to back until stopped; records statuses and served versions."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop_flag = url, threading.Event()
        self.statuses: Counter[int] = Counter()
        self.versions: list[tuple[float, int]] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stop_flag.is_set():
                response = client.post("/predict", json=ZERO)
                self.statuses[response.status_code] += 1
                if response.status_code == 200:
                    self.versions.append((time.monotonic(), response.json()["version"]))

    def first_seen(self, version: int) -> float | None:
        return next((t for t, v in self.versions if v == version), None)


def make_repo(tmp_path: Path) -> Path:
    """A repository whose only model is a copy of the committed one, as version 1."""
    repo = tmp_path / "models"
    (repo / "mnist-lstm").mkdir(parents=True)
    add_version(repo, 1)
    return repo


def test_hot_reload_under_load(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with live_server(model_repository=repo, poll_interval_s=0.2) as url:
        loop = ClientLoop(url)
        loop.start()
        try:
            assert wait_for(lambda: loop.first_seen(1) is not None)
            published = add_version(repo, 2)
            assert wait_for(lambda: loop.first_seen(2) is not None), "version 2 was never served"
            swap_s = (loop.first_seen(2) or 0) - published

            add_version(repo, 3, corrupt=True)
            time.sleep(1.5)  # several poll intervals
            served_after_corrupt = loop.versions[-1][1]
            metrics = httpx.get(f"{url}/metrics").text
        finally:
            loop.stop_flag.set()
            loop.join(timeout=20)

    assert served_after_corrupt == 2, "a corrupt version must never replace a good one"
    assert 'digits_model_load_failures_total{name="mnist-lstm"} 1.0' in metrics
    assert set(loop.statuses) == {200}, f"failed requests during the swap: {loop.statuses}"
    total = sum(loop.statuses.values())
    print(f"\nhot reload: {total} requests, 0 failures, version 2 served {swap_s:.2f}s after publishing")


def test_reload_endpoint_needs_the_key_and_reports(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with live_server(model_repository=repo, poll_interval_s=0, admin_api_key="s3cret") as url:
        assert httpx.post(f"{url}/admin/reload").status_code == 401
        bad_key = httpx.post(f"{url}/admin/reload", headers={"Authorization": "Bearer nope"})
        assert bad_key.status_code == 401 and bad_key.json()["error"]["code"] == "unauthorized"
        add_version(repo, 2)
        add_version(repo, 3, corrupt=True)
        assert httpx.post(f"{url}/predict", json=ZERO).json()["version"] == 1, "no polling: still v1"
        response = httpx.post(f"{url}/admin/reload", headers={"Authorization": "Bearer s3cret"}, timeout=30)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["loaded"] == ["mnist-lstm/2"] and report["retired"] == ["mnist-lstm/1"]
        assert list(report["rejected"]) == ["mnist-lstm/3"] and "sha256" in report["rejected"]["mnist-lstm/3"]
        assert report["serving"] == {"mnist-lstm": [2]}
        assert httpx.post(f"{url}/predict", json=ZERO).json()["version"] == 2


def test_management_routes_are_absent_without_a_key() -> None:
    with live_server(poll_interval_s=0) as url:
        response = httpx.post(f"{url}/admin/reload", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
