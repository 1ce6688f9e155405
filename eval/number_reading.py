"""Read number images: offline through the service's segmentation and an ONNX model, or through a
running service's ``POST /read``. Either way every image becomes a :class:`Reading`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from eval.pipeline import onnx_predictor, softmax
from service.errors import ServiceError
from service.images.segment import number_candidates_bytes

RETRIES = 5  # tries for a 503 before giving up
MAX_WAIT_S = 2.0


@dataclass(frozen=True)
class Reading:
    """What was read from one image: its digits with their boxes and confidences (and, offline, the
    28x28 inputs), or the code it was refused with."""

    digits: tuple[int, ...] = ()
    confidence: tuple[float, ...] = ()
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    inputs: np.ndarray | None = field(default=None, compare=False)
    refusal: str | None = None

    @property
    def text(self) -> str:
        return "".join(str(d) for d in self.digits)

    def record(self) -> dict[str, object]:
        return {
            "read": self.text,
            "confidence": [round(c, 4) for c in self.confidence],
            "boxes": [list(b) for b in self.boxes],
            "refused": self.refusal,
        }


def read_offline(blobs: Sequence[bytes], model: Path, max_pixels: int) -> list[Reading]:
    """Read every image as the service does: its candidate digits classified in one batch, the
    model's confidence choosing among them."""
    predict = onnx_predictor(model, threads=1)
    readings = []
    for data in blobs:
        try:
            candidates = number_candidates_bytes(data, max_pixels)
        except ServiceError as exc:
            readings.append(Reading(refusal=exc.code))
            continue
        probabilities = softmax(predict(np.stack([c.pixels for c in candidates.crops])))
        chosen = candidates.best(probabilities.max(axis=1))
        readings.append(
            Reading(
                digits=tuple(int(probabilities[k].argmax()) for k in chosen),
                confidence=tuple(float(probabilities[k].max()) for k in chosen),
                boxes=tuple(candidates.crops[k].box for k in chosen),
                inputs=np.stack([candidates.crops[k].pixels for k in chosen]),
            )
        )
    return readings


def read_via_service(url: str, files: Sequence[tuple[str, bytes]], workers: int = 4) -> list[Reading]:
    """Post every ``(name, bytes)`` to ``url``'s ``/read`` with ``return_input``; readings in order."""
    with httpx.Client(base_url=url, timeout=60.0) as client:
        try:
            client.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            raise SystemExit(f"error: no service answering at {url} ({exc})") from exc
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda f: _post(client, *f), files))


def _post(client: httpx.Client, name: str, data: bytes) -> Reading:
    for _ in range(RETRIES):
        response = client.post(
            "/read", params={"return_input": "true"}, files={"file": (name, data, "application/octet-stream")}
        )
        if response.status_code != 503:
            return _parse(response)
        time.sleep(min(float(response.headers.get("retry-after", "0.5")), MAX_WAIT_S))
    raise RuntimeError(f"{name}: the service answered 503 {RETRIES} times")


def _parse(response: httpx.Response) -> Reading:
    if response.status_code == 200:
        digits = response.json()["numbers"][0]["digits"]
        return Reading(
            digits=tuple(int(d["digit"]) for d in digits),
            confidence=tuple(float(d["confidence"]) for d in digits),
            boxes=tuple(tuple(d["box"]) for d in digits),
            inputs=np.asarray([d["input"] for d in digits], dtype=np.float32) if digits else None,
        )
    if 400 <= response.status_code < 500:
        return Reading(refusal=str(response.json()["error"]["code"]))
    raise RuntimeError(f"/read answered {response.status_code}: {response.text[:200]}")
