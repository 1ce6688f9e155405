"""The app before it is ready, and the settings it is built from (in-process, no server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from service.app import build_repository, create_app
from service.config import Settings
from service.http.metrics import Metrics
from tests.live import MODELS


def request(method: str, path: str, **kwargs: object) -> httpx.Response:
    """Call an app whose lifespan never ran, so the model is not loaded."""
    app = create_app(Settings(model_repository=MODELS))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_not_ready_answers_503_with_retry_after() -> None:
    for method, path, kwargs in [
        ("GET", "/readyz", {}),
        ("GET", "/model", {}),
        ("POST", "/predict", {"json": {"images": [[[0] * 28] * 28]}}),
    ]:
        response = request(method, path, **kwargs)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "1"
        assert response.json()["error"]["code"] == "not_ready"


def test_liveness_does_not_need_the_model() -> None:
    response = request("GET", "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITS_MODEL_REPOSITORY", str(MODELS))
    monkeypatch.setenv("DIGITS_PORT", "9123")
    monkeypatch.setenv("DIGITS_MAX_BATCH_WAIT_MS", "0.5")
    settings = Settings()
    assert (settings.port, settings.max_batch_wait_ms) == (9123, 0.5)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("model_repository", "/nonexistent", "not a directory"), ("port", 0, "greater than"),
     ("provider", "tpu", "auto"), ("grpc_port", 8000, "give gRPC its own port"),
     ("grpc_port", -1, "greater")],
)  # fmt: skip
def test_bad_settings_fail_fast(field: str, value: object, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Settings(**{"model_repository": MODELS, field: value})  # type: ignore[arg-type]


def test_version_policy_latest_all_or_pinned(tmp_path: Path) -> None:
    for version in ("1", "3", "10", "notes"):
        (tmp_path / "mnist-lstm" / version).mkdir(parents=True)
    (tmp_path / "mnist-lstm-int8" / "2").mkdir(parents=True)
    (tmp_path / "empty").mkdir()

    def wanted(**settings: object) -> dict[str, list[int]]:
        return build_repository(Settings(model_repository=tmp_path, **settings), Metrics()).wanted()  # type: ignore[arg-type]

    assert wanted() == {"mnist-lstm": [10, 3, 1], "mnist-lstm-int8": [2]}, "newest first"
    assert wanted(model_version=3) == {"mnist-lstm": [3], "mnist-lstm-int8": [2]}
    assert wanted(version_policy="all") == {"mnist-lstm": [1, 3, 10], "mnist-lstm-int8": [2]}
