"""The prefetching iterator keeps order, hands errors to the consumer and stops its thread early."""

from __future__ import annotations

import threading
import time

import pytest

from training.prefetch import prefetch


def test_yields_every_item_in_order():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_works_ahead_of_the_consumer():
    produced: list[int] = []

    def source():
        for i in range(5):
            produced.append(i)
            yield i

    it = prefetch(source(), depth=2)
    assert next(it) == 0
    deadline = time.monotonic() + 5
    while len(produced) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(produced) >= 3  # item 0 taken, items 1 and 2 waiting in the queue
    assert list(it) == [1, 2, 3, 4]


def test_an_error_in_the_source_is_raised_at_its_place():
    def source():
        yield 1
        raise ValueError("bad batch")

    it = prefetch(source())
    assert next(it) == 1
    with pytest.raises(ValueError, match="bad batch"):
        next(it)


def test_leaving_early_stops_the_thread():
    before = threading.active_count()
    it = prefetch(iter(range(1000)), depth=1)
    assert next(it) == 0
    it.close()  # what a ``break`` out of the for loop does
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
