"""JSON-lines logging: one object per line, with any ``extra=`` fields included."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
import time

import orjson

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _RawQueueHandler(logging.handlers.QueueHandler):
    """Enqueue the record as it is; the listener's formatter keeps the ``extra`` fields."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def configure_logging(level: str) -> None:
    """Send the service's logs, as JSON lines, to stderr at ``level``.

    Records are handed to a queue and formatted and written by a listener thread, so the event loop
    never blocks on a slow stderr (a profile showed the synchronous write at ~5% of a request).
    """
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.handlers[:] = [_RawQueueHandler(records)]
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # our access log replaces it
