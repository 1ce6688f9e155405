"""/metrics on a real uvicorn: batching really happens under concurrency, and every metric is there."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tests.live import live_server
from training.idx import load_images, load_labels

pytestmark = pytest.mark.slow


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Flatten the exposition text into {(sample name, sorted labels): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


async def fire(url: str, images: np.ndarray) -> list[dict[str, object]]:
    """One request per image, all at once."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(pixels: np.ndarray) -> dict[str, object]:
            response = await client.post("/predict", files={"file": ("d.png", png(pixels), "image/png")})
            assert response.status_code == 200, response.text
            prediction: dict[str, object] = response.json()["predictions"][0]
            return prediction

        return await asyncio.gather(*(one(p) for p in images))


@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_requests_are_batched_and_each_caller_gets_its_answer(
    mnist_dir: Path, workers: int
) -> None:
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:48]
    labels = load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:48]
    with live_server(max_batch_wait_ms=40, workers=workers) as url:
        alone = [httpx.post(f"{url}/predict", files={"file": ("d.png", png(p))}).json() for p in images[:4]]
        together = asyncio.run(fire(url, images))
        metrics = samples(httpx.get(f"{url}/metrics").text)

    assert [p["digit"] for p in together] == labels.tolist(), "a caller got someone else's answer"
    for single, batched in zip(alone, together[:4], strict=True):
        expected = np.array(single["predictions"][0]["probabilities"])
        assert np.allclose(expected, np.array(batched["probabilities"]), atol=1e-5)
    batches = metrics[("digits_batch_size_count", ())]
    images_in_batches = metrics[("digits_batch_size_sum", ())]
    assert images_in_batches == 4 + 48, "every request image is counted once (warm-up is not)"
    assert batches < images_in_batches, f"{batches} batches for {images_in_batches} images: no batching"
    assert metrics[("digits_batch_size_bucket", (("le", "1.0"),))] < batches, "some batch must exceed 1"


def test_metrics_content(mnist_dir: Path) -> None:
    digit = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[0]
    with live_server() as url:
        httpx.post(f"{url}/predict", files={"file": ("d.png", png(digit))})
        httpx.post(f"{url}/predict", content=b"nope", headers={"content-type": "text/plain"})
        httpx.post(f"{url}/predict", json={"images": [[[0] * 28] * 28] * 3})
        response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    m = samples(response.text)
    predict = (("method", "POST"), ("protocol", "http"), ("route", "/predict"))
    assert m[("digits_requests_total", (*predict, ("status", "200")))] == 2
    assert m[("digits_requests_total", (*predict, ("status", "415")))] == 1
    assert m[("digits_request_latency_seconds_count", (("protocol", "http"), ("route", "/predict")))] == 3
    assert m[("digits_batches_total", (("protocols", "http"),))] >= 1, "batches are counted by protocol"
    assert m[("digits_images_classified_total", ())] == 4
    assert m[("digits_inference_seconds_count", ())] >= 1
    assert m[("digits_queue_wait_seconds_count", ())] == 2
    assert m[("digits_overloaded_rejections_total", ())] == 0
    info = [dict(labels) for (name, labels), v in m.items() if name == "digits_model_info" and v == 1]
    assert sorted(i["name"] for i in info) == ["mnist-lstm", "mnist-lstm-int8"]
    assert {i["provider"] for i in info} == {"CPUExecutionProvider"}


def test_uncertain_predictions_and_no_digit_refusals_are_counted(mnist_dir: Path) -> None:
    """An operator sees uploads drift: refusals for no digit, and predictions flagged uncertain."""
    digit = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[0]
    with live_server() as url:
        certain = httpx.post(f"{url}/predict", files={"file": ("d.png", png(digit))}).json()
        blank = httpx.post(f"{url}/predict", files={"file": ("b.png", png(np.full((50, 50), 255, np.uint8)))})
        arrays = httpx.post(f"{url}/predict", json={"images": [[[0] * 28] * 28] * 3}).json()
        m = samples(httpx.get(f"{url}/metrics").text)
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "no_digit"
    assert not certain["predictions"][0]["uncertain"], "a clean MNIST 7 is not uncertain"
    assert all(p["uncertain"] for p in arrays["predictions"]), "an empty frame is no digit the model knows"
    assert m[("digits_no_digit_refusals_total", ())] == 1
    assert m[("digits_judged_predictions_total", ())] == 4
    assert m[("digits_uncertain_predictions_total", ())] == 3
