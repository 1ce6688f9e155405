"""CORS: off unless ``DIGITS_CORS_ORIGINS`` lists origins, then only those origins (in-process)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from service.app import create_app
from service.config import Settings
from tests.live import MODELS

ALLOWED, OTHER = "http://a.example", "http://evil.example"
PREFLIGHT = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}


def request(settings: Settings, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """Call an app whose lifespan never ran: ``/healthz`` answers, CORS sits in front of everything."""
    app = create_app(settings)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


def test_cors_is_off_by_default() -> None:
    settings = Settings(model_repository=MODELS)
    assert settings.cors_origins == []
    response = request(settings, "GET", "/healthz", {"origin": ALLOWED})
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "access-control-allow-origin" not in response.headers, "no CORS headers unless configured"
    preflight = request(settings, "OPTIONS", "/predict", {"origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 405, "without CORS nothing answers a preflight"
    assert not [h for h in preflight.headers if h.startswith("access-control-")], preflight.headers


def test_allowed_origin_is_echoed() -> None:
    settings = Settings(model_repository=MODELS, cors_origins=[ALLOWED])
    response = request(settings, "GET", "/healthz", {"origin": ALLOWED})
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    preflight = request(settings, "OPTIONS", "/predict", {"origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}


def test_other_origins_are_refused() -> None:
    settings = Settings(model_repository=MODELS, cors_origins=[ALLOWED])
    response = request(settings, "GET", "/healthz", {"origin": OTHER})
    assert response.status_code == 200, "the server still answers; the browser withholds it"
    assert "access-control-allow-origin" not in response.headers, "another origin must not be allowed"
    preflight = request(settings, "OPTIONS", "/predict", {"origin": OTHER, **PREFLIGHT})
    assert preflight.status_code == 400 and "origin" in preflight.text.lower(), preflight.text
    assert "access-control-allow-origin" not in preflight.headers


def test_origins_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITS_CORS_ORIGINS", f'["{ALLOWED}", "https://b.example"]')
    assert Settings(model_repository=MODELS).cors_origins == [ALLOWED, "https://b.example"]
