"""Prometheus metrics (prometheus-client), correct with several worker processes.

With one process, metrics live in a registry of this app. With several
uvicorn workers, ``python -m service`` sets ``PROMETHEUS_MULTIPROC_DIR``
before the workers start; each worker then writes its values to files there,
and ``/metrics`` on any worker aggregates all of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.004,
    0.008,
    0.016,
    0.032,
    0.064,
    0.128,
    0.256,
    0.512,
    1.0,
    2.5,
    5.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
# Any other method a client makes up is counted as "other": label values must not be client-chosen.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric of the service; also the batcher's :class:`~service.inference.batching.BatchObserver`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "digits_requests",
            "Requests by route (gRPC: the method), method, status (gRPC: the code's name) and protocol.",
            ["route", "method", "status", "protocol"],
            registry=r,
        )
        self.latency = Histogram(
            "digits_request_latency_seconds",
            "Request latency.",
            ["route", "protocol"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "digits_queue_wait_seconds", "Time from submit to batch launch, per request.",
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "digits_batch_size", "Images per model call.", buckets=BATCH_BUCKETS, registry=r
        )
        self.inference = Histogram(
            "digits_inference_seconds", "Time in onnxruntime per batch.", buckets=LATENCY_BUCKETS, registry=r
        )
        self.images = Counter("digits_images_classified", "Images classified.", registry=r)
        self.batches = Counter(
            "digits_batches",
            "Model calls by the protocols of the requests in them (grpc+http: callers of both in one batch).",
            ["protocols"],
            registry=r,
        )
        self.rejected = Counter("digits_overloaded_rejections", "Requests refused: queue full.", registry=r)
        self.uncertain = Counter(
            "digits_uncertain_predictions",
            "Predictions flagged uncertain (confidence below the model's calibrated threshold).",
            registry=r,
        )
        self.judged = Counter("digits_judged_predictions", "Predictions judged certain or not.", registry=r)
        self.no_digit = Counter(
            "digits_no_digit_refusals", "Uploads refused with no_digit: blank, uniform or noise.", registry=r
        )
        self.model_info = Gauge(
            "digits_model_info", "Loaded model versions (1 = loaded, 0 = retired).",
            ["name", "version", "provider"], registry=r, multiprocess_mode="max",
        )  # fmt: skip
        self.load_failures = Counter(
            "digits_model_load_failures", "Model versions rejected at load or reload.", ["name"], registry=r
        )
        self._providers: dict[tuple[str, int], str] = {}
        self._request_series: dict[tuple[str, str, int | str, str], tuple[Counter, Histogram]] = {}
        self._batch_series: dict[frozenset[str], Counter] = {}

    def on_loaded(self, name: str, version: int, provider: str) -> None:
        self._providers[name, version] = provider
        self.model_info.labels(name, str(version), provider).set(1)

    def on_retired(self, name: str, version: int) -> None:
        provider = self._providers.pop((name, version), "")
        self.model_info.labels(name, str(version), provider).set(0)

    def on_load_failed(self, name: str) -> None:
        self.load_failures.labels(name).inc()

    def observe_request(
        self, route: str, method: str, status: int | str, latency_s: float, protocol: str = "http"
    ) -> None:
        """``route`` is a route template, "unmatched" or a gRPC method, so label values stay few; so does
        ``method``. ``status`` is the HTTP status, or the gRPC status code's name."""
        key = (route, method if method in HTTP_METHODS else "other", status, protocol)
        if (series := self._request_series.get(key)) is None:  # .labels() costs ~5 µs per call
            series = self._request_series[key] = (
                self.requests.labels(key[0], key[1], str(status), protocol),
                self.latency.labels(route, protocol),
            )
        series[0].inc()
        series[1].observe(latency_s)

    def on_batch(
        self, size: int, queue_wait_s: Sequence[float], infer_s: float, labels: Sequence[str] = ()
    ) -> None:
        """``labels``: the protocol of each request in the batch (the label its caller gave the batcher)."""
        protocols = frozenset(label for label in labels if label)
        if (batches := self._batch_series.get(protocols)) is None:
            name = "+".join(sorted(protocols)) or "unlabelled"
            batches = self._batch_series[protocols] = self.batches.labels(name)
        batches.inc()
        self.batch_size.observe(size)
        self.inference.observe(infer_s)
        self.images.inc(size)
        for wait in queue_wait_s:
            self.queue_wait.observe(wait)

    def on_rejected(self) -> None:
        self.rejected.inc()

    def on_judged(self, predictions: int, uncertain: int) -> None:
        self.judged.inc(predictions)
        if uncertain:
            self.uncertain.inc(uncertain)

    def on_no_digit(self) -> None:
        self.no_digit.inc()

    def render(self) -> bytes:
        """The exposition text: this process's registry, or every worker's when multiprocess."""
        if (directory := multiprocess_dir()) is None:
            return generate_latest(self.registry)
        aggregate = CollectorRegistry()
        multiprocess.MultiProcessCollector(aggregate, path=directory)
        return generate_latest(aggregate)
