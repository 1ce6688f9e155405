"""The draw-a-digit page over HTTP: what ``/`` and ``/static`` serve, and the security headers everywhere.

In-process (httpx's ASGI transport) with the app's real lifespan, so the committed model is loaded and
``/predict`` answers for real. The page itself is driven in a browser by tests/browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.config import Settings
from service.http.security import DOCS_CSP, STRICT_CSP
from tests.live import MODELS

PHOTO_OF_A_3 = Path(__file__).resolve().parents[2] / "data" / "realworld" / "photo-00003.jpg"
COMPANIONS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
Check = Callable[[httpx.AsyncClient], Coroutine[Any, Any, None]]


@asynccontextmanager
async def client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with its lifespan run: the model is loaded and warmed up."""
    app = create_app(Settings(model_repository=MODELS, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def run(check: Check, **settings: Any) -> None:
    async def go() -> None:
        async with client(**settings) as c:
            await check(c)

    asyncio.run(go())


class PageParser(HTMLParser):
    """Collects each start tag with its attributes, and the text of inline <script>/<style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "style" or (tag == "script" and not dict(attrs).get("src")):
            self.inline.append(tag)

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def assert_headers(response: httpx.Response, csp: str = STRICT_CSP) -> None:
    for name, value in COMPANIONS.items():
        assert response.headers.get(name) == value, f"{response.url.path}: {name} missing or wrong"
    assert response.headers.get("content-security-policy") == csp, response.url.path
    assert "camera=()" in response.headers.get("permissions-policy", ""), response.url.path


def test_the_page_is_served_at_the_root_under_a_strict_csp() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        response = await c.get("/")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert_headers(response)
        assert "'unsafe-inline'" not in STRICT_CSP and "'unsafe-eval'" not in STRICT_CSP
        page = parse(response.text)
        assert page.inline == [], f"inline <script>/<style> blocks break the CSP: {page.inline}"
        handlers = [(tag, a) for tag, attrs in page.tags for a in attrs if a.startswith("on")]
        assert handlers == [], f"inline event handlers break the CSP: {handlers}"
        styled = [tag for tag, attrs in page.tags if "style" in attrs]
        assert styled == [], f"style attributes break style-src 'self': {styled}"

    run(check)


def test_the_page_is_accessible_and_self_contained() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        page = parse((await c.get("/")).text)
        assert page.find("html")[0].get("lang") == "en", "the page must declare its language"
        assert page.find("main"), "the page needs a <main> landmark"
        urls = [a.get("src") or a.get("href") or "" for _, a in page.tags if a.get("src") or a.get("href")]
        external = [u for u in urls if "//" in u]
        assert external == [], f"the page must work offline, but loads {external}"
        assert "docs" in urls, "the page should link to the API documentation"
        file_input = next(a for a in page.find("input") if a.get("type") == "file")
        assert file_input.get("accept") == "image/*"
        labelled = {a.get("for") for a in page.find("label")}
        assert file_input.get("id") in labelled, "the file input needs a <label for=...>"
        assert {"undo", "clear", "classify"} <= {a.get("id") for a in page.find("button")}
        assert any(a.get("aria-live") for _, a in page.tags), "errors need an aria-live region"

    run(check)


def test_every_asset_the_page_uses_is_served_with_its_content_type() -> None:
    expected = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

    async def check(c: httpx.AsyncClient) -> None:
        page = parse((await c.get("/")).text)
        assets = [a.get("src") or a.get("href") or "" for _, a in page.tags]
        assets = [u for u in assets if u.startswith("static/")]
        assert {Path(u).suffix for u in assets} == set(expected), assets
        for url in assets:
            response = await c.get("/" + url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            kind = response.headers["content-type"]
            assert kind.split(";")[0] in (expected[Path(url).suffix], "application/javascript"), kind
            assert response.headers["cache-control"] == "no-cache", "assets must revalidate after a release"
            assert_headers(response)

    run(check)


def test_a_missing_static_file_is_a_json_404() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        for path in ("/static/missing.js", "/static/%2e%2e/app.py", "/index.html"):
            response = await c.get(path)
            assert response.status_code == 404, f"{path}: {response.status_code}"
            assert response.json()["error"]["code"] == "not_found", response.text
            assert_headers(response)

    run(check)


def test_the_page_routes_stay_out_of_the_openapi_document() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        paths = set((await c.get("/openapi.json")).json()["paths"])
        assert "/predict" in paths
        assert not {p for p in paths if p == "/" or p.startswith("/static")}, paths

    run(check)


def test_the_docs_still_work_under_their_own_relaxed_policy() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        for path, marker in (("/docs", "swagger-ui"), ("/redoc", "redoc")):
            response = await c.get(path)
            assert response.status_code == 200 and marker in response.text, path
            assert_headers(response, csp=DOCS_CSP)
        assert "https://cdn.jsdelivr.net" in DOCS_CSP and "frame-ancestors 'none'" in DOCS_CSP
        oauth = await c.get("/docs/oauth2-redirect")
        assert oauth.status_code == 200 and oauth.headers["content-security-policy"] == DOCS_CSP
        assert_headers(await c.get("/openapi.json"))
        assert_headers(await c.get("/docsearch"))  # a prefix alone is not the docs

    run(check)


def test_predictions_and_errors_carry_the_security_headers() -> None:
    async def check(c: httpx.AsyncClient) -> None:
        files = {"file": ("three.jpg", PHOTO_OF_A_3.read_bytes(), "image/jpeg")}
        ok = await c.post("/predict", params={"return_input": "true"}, files=files)
        assert ok.status_code == 200 and ok.json()["predictions"][0]["digit"] == 3, ok.text
        assert_headers(ok)
        assert ok.headers["x-request-id"], "the other middleware still runs"
        bad = await c.post("/predict", files={"file": ("notes.txt", b"not an image", "text/plain")})
        assert bad.status_code == 415 and bad.json()["error"]["code"] == "unsupported_image_format"
        assert_headers(bad)
        too_big = await c.post("/predict", content=b"x" * 65536, headers={"content-type": "text/plain"})
        assert too_big.status_code == 413, "refused by the body limit, before any route"
        assert_headers(too_big)

    run(check, max_request_bytes=32768)


def test_the_docs_policy_follows_a_root_path() -> None:
    """Behind a proxy that mounts the service under a prefix, /docs is still recognised."""

    async def go() -> None:
        app = create_app(Settings(model_repository=MODELS))
        transport = httpx.ASGITransport(app=app, root_path="/digits")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            response = await c.get("/digits/docs")
            assert response.status_code == 200, response.text
            assert response.headers["content-security-policy"] == DOCS_CSP

    asyncio.run(go())


@pytest.mark.parametrize("path", ["/", "/healthz", "/metrics"])
def test_the_strict_policy_is_the_default(path: str) -> None:
    async def check(c: httpx.AsyncClient) -> None:
        response = await c.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        assert_headers(response)

    run(check)
