"""service.http.gcwatch: real collections, timed by the real gc callbacks."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from service.app import create_app
from service.config import Settings
from service.http.gcwatch import SlowCollectionLog
from tests.live import MODELS


def full_collection_logs(threshold_ms: float, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The gcwatch records logged during one full collection, watched with ``threshold_ms``."""
    stop = SlowCollectionLog(threshold_ms=threshold_ms).install()
    try:
        with caplog.at_level(logging.WARNING, logger="service.http.gcwatch"):
            gc.collect()
    finally:
        stop()
    return [r for r in caplog.records if r.name == "service.http.gcwatch"]


def test_a_collection_over_the_threshold_is_logged_with_its_generation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = full_collection_logs(0.0, caplog)
    assert records, "a full collection took >= 0 ms but was not logged"
    last = records[-1]
    assert last.getMessage() == "slow garbage collection"
    assert last.generation == 2  # type: ignore[attr-defined]
    assert last.ms >= 0 and last.cpu_ms >= 0 and last.collected >= 0  # type: ignore[attr-defined]


def test_quick_collections_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not full_collection_logs(60_000, caplog)


def test_stopping_removes_the_callback() -> None:
    watcher = SlowCollectionLog()
    stop = watcher.install()
    assert watcher in gc.callbacks
    stop()
    assert watcher not in gc.callbacks


def _watchers() -> list[SlowCollectionLog]:
    return [c for c in gc.callbacks if isinstance(c, SlowCollectionLog)]


async def _watchers_while_serving(**settings: object) -> list[SlowCollectionLog]:
    app = create_app(Settings(model_repository=MODELS, **settings))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        return _watchers()


def test_the_service_watches_collections_only_when_asked_and_stops_at_shutdown() -> None:
    assert not asyncio.run(_watchers_while_serving()), "on by default: a cost on every collection"
    watching = asyncio.run(_watchers_while_serving(slow_gc_ms=25))
    assert [w.threshold_s for w in watching] == [0.025]
    assert not _watchers(), "the watch outlived the app"
