"""A real Chromium (Debian's, driven by Playwright) against the real service on 127.0.0.1.

Skips with a message when Playwright or /usr/bin/chromium is missing. Each page is watched: console
errors, uncaught exceptions, CSP violations and requests to any other origin are recorded, and
:meth:`Watched.assert_clean` fails the test on any of them. The fixtures are module-scoped, not
session-scoped: Playwright's sync API keeps an event loop running, and later tests call ``asyncio.run``.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.live import ROOT, live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Runs before the page's own script (injected by the DevTools protocol, so the CSP does not apply).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline code"}`);
});
"""


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install playwright; never `playwright install`)"
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if reason and Path(item.path).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@dataclass
class Watched:
    """A page and everything it did wrong so far."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request(self, request: Request) -> None:
        if not request.url.startswith((self.base_url + "/", "blob:", "data:")):
            self.foreign_requests.append(request.url)

    def csp_violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("() => window.__cspViolations")
        return found

    def assert_clean(self, allowed_errors: tuple[str, ...] = ()) -> None:
        errors = [e for e in self.console_errors if not any(a in e for a in allowed_errors)]
        assert errors == [], f"console errors: {errors}"
        assert self.csp_violations() == [], "the page broke its Content-Security-Policy"
        assert self.foreign_requests == [], f"the page must work offline: {self.foreign_requests}"

    def screenshot(self, name: str, **options: Any) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), **options)
        return path


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    with live_server() as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def open_page(browser: Browser, base_url: str, **context: Any) -> Iterator[Watched]:
    """Open the page in a fresh context (viewport, touch, ...) and watch it."""
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(20_000)
    ctx.add_init_script(RECORD_CSP_VIOLATIONS)
    page = ctx.new_page()
    watched = Watched(page, base_url)
    page.on("console", watched.on_console)
    page.on("pageerror", lambda error: watched.console_errors.append(f"uncaught: {error}"))
    page.on("request", watched.on_request)
    page.goto(base_url + "/")
    yield watched
    ctx.close()


@pytest.fixture
def desktop(browser: Browser, service_url: str) -> Iterator[Watched]:
    yield from open_page(browser, service_url, viewport={"width": 1100, "height": 800})


@pytest.fixture
def phone(browser: Browser, service_url: str) -> Iterator[Watched]:
    yield from open_page(
        browser,
        service_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
