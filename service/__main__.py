"""Run the service: ``python -m service [--host H] [--port P] [--workers N]``.

Every setting can also be given as a ``DIGITS_*`` environment variable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Any

import uvicorn

from service.config import Settings
from service.http.logs import configure_logging, logging_configured
from service.http.protocol import HttpProtocol
from service.http.workers import Supervisor, reuse_port_supported

if TYPE_CHECKING:
    from service.app import ServiceApp


def app_factory() -> ServiceApp:
    """Build the app from the environment; uvicorn calls this in each worker process."""
    from service.app import create_app

    settings = Settings()
    if not logging_configured():  # a worker process; a lone worker shares main()'s set-up
        configure_logging(settings.log_level)
    return create_app(settings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", help="interface to bind (default: $DIGITS_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $DIGITS_PORT or 8000)")
    parser.add_argument("--workers", type=int, help="processes (default: $DIGITS_WORKERS, else 1 per core)")
    args = parser.parse_args(argv)
    for name in ("host", "port", "workers"):
        if getattr(args, name) is not None:
            os.environ[f"DIGITS_{name.upper()}"] = str(getattr(args, name))
    settings = Settings()  # fail fast on bad settings, before any worker starts
    configure_logging(settings.log_level)
    metrics_dir = None
    if settings.worker_count > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers inherit this before they import prometheus_client, so /metrics aggregates them all.
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="digits-metrics-")
    try:
        _run(settings)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def uvicorn_config(settings: Settings) -> dict[str, Any]:
    """What every worker's uvicorn runs with."""
    return {
        "app": "service.__main__:app_factory",
        "factory": True,
        "http": HttpProtocol,  # uvicorn's httptools protocol, writing each response once
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 15,
    }


def _run(settings: Settings) -> None:
    config = uvicorn_config(settings)
    if settings.worker_count > 1 and reuse_port_supported():
        sys.exit(Supervisor(config, settings.worker_count).run())
    uvicorn.run(**config, workers=settings.worker_count)


if __name__ == "__main__":
    main()
