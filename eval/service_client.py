"""Classify image files through a running service's ``POST /predict``, one file per request.

Each file's bytes go as they are (multipart, field ``file``, ``?return_input=true``), so the service
decodes and preprocesses them itself. A 200 gives the digit, its confidence, the probabilities
(kept as log-probabilities, which are the logits up to a per-image constant that softmax ignores),
the 28x28 input the model saw and, when the service sends it, its own ``uncertain`` flag. A 4xx with
an error body is a refusal with that code (``no_digit`` for an image without ink); a 503 is retried
after its ``Retry-After``. Anything else stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import numpy as np

from eval.pipeline import FAILED, Results

RETRIES = 5  # tries for a 503 (not ready, overloaded) before giving up
MAX_WAIT_S = 2.0  # longest wait honoured from a Retry-After


@dataclass(frozen=True)
class Reply:
    """What the service said about one image: an answer, or the code it was refused with."""

    refusal: str | None = None
    digit: int = FAILED
    confidence: float = float("nan")
    probabilities: tuple[float, ...] = ()
    model_input: tuple[tuple[float, ...], ...] = ()
    uncertain: bool | None = None


def classify(url: str, files: Sequence[tuple[str, bytes]], workers: int = 4) -> Results:
    """Post every ``(name, bytes)`` to ``url``'s ``/predict``; the results in the same order."""
    with httpx.Client(base_url=url, timeout=60.0) as client:
        try:
            client.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            raise SystemExit(f"error: no service answering at {url} ({exc})") from exc
        with ThreadPoolExecutor(max_workers=workers) as pool:
            replies = list(pool.map(lambda f: post(client, *f), files))
    return to_results(replies)


def post(client: httpx.Client, name: str, data: bytes) -> Reply:
    """One file through ``/predict``: its answer or its refusal."""
    for _ in range(RETRIES):
        response = client.post(
            "/predict",
            params={"return_input": "true"},
            files={"file": (name, data, "application/octet-stream")},
        )
        if response.status_code != 503:
            return parse(response)
        time.sleep(min(float(response.headers.get("retry-after", "0.5")), MAX_WAIT_S))
    raise RuntimeError(f"{name}: the service answered 503 {RETRIES} times")


def parse(response: httpx.Response) -> Reply:
    """A /predict response for one file as a :class:`Reply`."""
    if response.status_code == 200:
        answer = response.json()["predictions"][0]
        return Reply(
            digit=int(answer["digit"]),
            confidence=float(answer["confidence"]),
            probabilities=tuple(answer["probabilities"]),
            model_input=tuple(tuple(row) for row in answer.get("input") or ()),
            uncertain=answer.get("uncertain"),
        )
    if 400 <= response.status_code < 500:
        try:
            return Reply(refusal=str(response.json()["error"]["code"]))
        except (ValueError, KeyError, TypeError):
            pass
    raise RuntimeError(f"/predict answered {response.status_code}: {response.text[:200]}")


def to_results(replies: Sequence[Reply]) -> Results:
    """The replies as :class:`Results` (zeros and NaN where refused, as offline)."""
    count = len(replies)
    inputs = np.zeros((count, 28, 28), dtype=np.float32)
    logits = np.full((count, 10), np.nan, dtype=np.float32)
    for i, reply in enumerate(replies):
        if reply.refusal is None:
            logits[i] = np.log(np.maximum(np.asarray(reply.probabilities, dtype=np.float64), 1e-30))
            if reply.model_input:
                inputs[i] = np.asarray(reply.model_input, dtype=np.float32)
    uncertain = tuple(r.uncertain for r in replies)
    return Results(
        inputs=inputs,
        logits=logits,
        digits=np.array([r.digit for r in replies]),
        confidence=np.array([r.confidence for r in replies]),
        refusals=tuple(r.refusal for r in replies),
        uncertain=uncertain if any(u is not None for u in uncertain) else None,
    )
