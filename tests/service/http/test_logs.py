"""The JSON log lines: fields, extras, tracebacks, and that the batching writer loses nothing."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from service.http.logs import access, configure_logging, logging_configured

Captured = tuple[io.StringIO, Callable[[], None]]


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Logging configured onto a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    stop = configure_logging("info", buffer)
    yield buffer, stop
    stop()
    root.handlers[:], root.level = handlers, level


def written(captured: Captured) -> list[dict[str, object]]:
    """Stop the writer (it writes everything queued first) and parse what it wrote."""
    buffer, stop = captured
    stop()
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_every_record_is_one_json_line_in_order(captured: Captured) -> None:
    log = logging.getLogger("service.test")
    for index in range(5000):  # several batches: order and count must survive
        log.info("request", extra={"index": index, "route": "/predict"})
    log.debug("below the level")
    records = written(captured)
    assert [r["index"] for r in records] == list(range(5000))
    first = records[0]
    assert first["msg"] == "request" and first["route"] == "/predict"
    assert first["level"] == "info" and first["logger"] == "service.test"
    assert str(first["ts"]).endswith("Z")


def test_exceptions_carry_their_traceback(captured: Captured) -> None:
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("service.test").exception("failed")
    (record,) = written(captured)
    assert record["level"] == "error" and "ValueError: bad thing" in str(record["exc"])


def test_stop_twice_is_harmless(captured: Captured) -> None:
    logging.getLogger("service.test").warning("once")
    assert len(written(captured)) == 1
    captured[1]()


def test_access_lines_match_logged_ones_and_keep_their_order(captured: Captured) -> None:
    log = logging.getLogger("service.access")
    log.info("request", extra={"route": "/a", "status": 200})
    access({"route": "/b", "status": 503})
    log.info("request", extra={"route": "/c", "status": 200})
    records = written(captured)
    assert [r["route"] for r in records] == ["/a", "/b", "/c"], "one queue, one order"
    logged, queued = records[0], records[1]
    assert set(logged) == set(queued), "the same fields whichever way the line was made"
    assert queued["logger"] == "service.access" and queued["level"] == "info" and queued["msg"] == "request"
    assert str(queued["ts"]).endswith("Z") and queued["status"] == 503


def test_access_falls_back_to_the_logger_when_not_configured(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="service.access"):
        access({"route": "/x", "status": 200})
    (record,) = [r for r in caplog.records if r.name == "service.access"]
    assert record.__dict__["route"] == "/x"


def test_configured_until_stopped(captured: Captured) -> None:
    assert logging_configured()
    written(captured)
    assert not logging_configured(), "after stop, access lines go through the logger again"
