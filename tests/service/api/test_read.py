"""POST /read end to end: a real uvicorn on 127.0.0.1, real onnxruntime, the committed model.

Numbers are MNIST test digits side by side. Every test runs through both doors (the gateway's direct
route and FastAPI's), and every bad request that ``/predict`` refuses must be refused by ``/read``
with the same status and code.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from service.api.examples import FORTY_TWO_PNG_BASE64
from tests.live import live_server
from training.idx import load_images, load_labels

pytestmark = pytest.mark.slow
MAX_DIGITS = 4


@pytest.fixture(scope="module", params=[True, False], ids=["direct", "via-fastapi"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    with (
        live_server(direct_predict=request.param, max_digits_per_image=MAX_DIGITS) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def mnist(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The first 16 MNIST test digits (7 2 1 0 4 1 4 9 5 9 0 6 9 0 1 5) and their labels."""
    return load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:16], load_labels(
        mnist_dir / "t10k-labels-idx1-ubyte.gz"
    )[:16]


def number(digits: list[np.ndarray], scale: int = 1, gap: int = 4) -> tuple[bytes, list[int]]:
    """A dark-on-light PNG of MNIST digits side by side, ``scale`` times their size; and each
    digit's left edge in its pixels."""
    side = 28 * scale
    canvas = Image.new("L", (len(digits) * (side + gap) + 2 * side, 2 * side), 255)
    lefts = []
    for k, pixels in enumerate(digits):
        left = side + k * (side + gap)
        canvas.paste(Image.fromarray(255 - pixels).resize((side, side)), (left, side // 2))
        lefts.append(left)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue(), lefts


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def files(*blobs: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (f"{k}.png", blob, "image/png")) for k, blob in enumerate(blobs)]


def test_the_openapi_example_reads_42(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/read"]["post"]
    assert {"multipart/form-data", "application/json"} <= set(post["requestBody"]["content"])
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("ReadResponse")
    example = post["requestBody"]["content"]["application/json"]["examples"]["number"]["value"]
    response = client.post("/read", json=example)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "mnist-lstm" and isinstance(body["version"], int)
    reading = body["numbers"][0]
    assert reading["text"] == "42" and [d["digit"] for d in reading["digits"]] == [4, 2]
    assert reading["uncertain"] is any(d["uncertain"] for d in reading["digits"])
    first, second = (d["box"] for d in reading["digits"])
    assert 0 <= first[0] < first[2] <= second[0] < second[2] <= 64, "boxes in the 64x32 picture, in order"


def test_multipart_number_with_boxes_in_the_uploads_pixels(
    client: httpx.Client, mnist: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = mnist
    data, lefts = number(list(images[:4]), scale=6)  # 7 2 1 0, 168 px tall: analysed at a third
    response = client.post("/read", files=files(data))
    assert response.status_code == 200, response.text
    reading = response.json()["numbers"][0]
    assert reading["text"] == "".join(str(d) for d in labels[:4])
    for digit, left in zip(reading["digits"], lefts, strict=True):
        x0, y0, x1, y1 = digit["box"]
        assert left - 6 <= x0 < x1 <= left + 168 + 6, (digit["box"], left)
        assert 84 - 6 <= y0 < y1 <= 84 + 168 + 6, digit["box"]
        assert 0 <= digit["confidence"] <= 1 and "input" not in digit


def test_several_images_json_and_arrays_keep_their_order(
    client: httpx.Client, mnist: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = mnist
    two, _ = number([images[1], images[4]])  # 2 4
    three, _ = number(list(images[5:8]))  # 1 4 9
    body = {
        "images": [base64.b64encode(two).decode(), images[9].tolist(), base64.b64encode(three).decode()],
        "return_input": True,
    }
    response = client.post("/read", json=body)
    assert response.status_code == 200, response.text
    texts = [n["text"] for n in response.json()["numbers"]]
    assert texts == [f"{labels[1]}{labels[4]}", str(labels[9]), "".join(str(d) for d in labels[5:8])]
    for reading in response.json()["numbers"]:
        assert all(np.asarray(d["input"]).shape == (28, 28) for d in reading["digits"])
    multipart = client.post("/read?return_input=true", files=files(two, three))
    assert [n["text"] for n in multipart.json()["numbers"]] == [texts[0], texts[2]]
    assert "input" in multipart.json()["numbers"][0]["digits"][0]


def test_too_many_digits_per_image(client: httpx.Client, mnist: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = mnist
    four, _ = number(list(images[:MAX_DIGITS]))
    five, _ = number(list(images[: MAX_DIGITS + 1]))
    assert client.post("/read", files=files(four)).status_code == 200
    response = client.post("/read", files=files(four, five))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_digits"
    assert error["message"].startswith("images[1]:") or f"limit is {MAX_DIGITS}" in error["message"]


def test_no_digit_is_refused_and_counted(client: httpx.Client) -> None:
    def refusals() -> float:
        line = next(x for x in client.get("/metrics").text.splitlines() if x.startswith("digits_no_digit_"))
        return float(line.split()[-1])

    before = refusals()
    blank = png(np.full((60, 200), 255, np.uint8))
    response = client.post("/read", files=files(blank))
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_digit"
    assert refusals() == before + 1


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


Request = Callable[[], dict[str, Any]]
JSON = {"content-type": "application/json"}
BAD_REQUESTS: dict[str, Request] = {
    "zero bytes": lambda: {"files": files(b"")},
    "text named .png": lambda: {"files": files(b"hello, I am not an image\n" * 4)},
    "truncated png": lambda: {"files": files(png(np.arange(784, dtype=np.uint8).reshape(28, 28))[:60])},
    "png bomb": lambda: {"files": files(_bomb())},
    "blank": lambda: {"files": files(png(np.full((200, 300), 255, np.uint8)))},
    "noise": lambda: {
        "files": files(png(np.random.default_rng(0).integers(100, 156, (120, 120)).astype(np.uint8)))
    },
    "nan array": lambda: {"content": json.dumps({"images": [[[float("nan")] * 28] * 28]}), "headers": JSON},
    "27 rows": lambda: {"content": json.dumps({"images": [[[0] * 28] * 27]}), "headers": JSON},
    "out of range": lambda: {"content": json.dumps({"images": [[[300] * 28] * 28]}), "headers": JSON},
    "bad base64": lambda: {"content": json.dumps({"images": ["!!not base64!!"]}), "headers": JSON},
    "no images": lambda: {"content": json.dumps({"images": []}), "headers": JSON},
    "wrong field": lambda: {"content": json.dumps({"pictures": []}), "headers": JSON},
    "not json": lambda: {"content": "{not json", "headers": JSON},
    "257 images": lambda: {"json": {"images": [[[0] * 28] * 28] * 257}},
    "50 MB": lambda: {"content": b'{"images": ["' + b"A" * (50 * 1024 * 1024) + b'"]}', "headers": JSON},
    "text/plain": lambda: {"content": b"abc", "headers": {"content-type": "text/plain"}},
    "no boundary": lambda: {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
    "no parts": lambda: {
        "content": b"--abc--\r\n",
        "headers": {"content-type": "multipart/form-data; boundary=abc"},
    },
    "bad flag": lambda: {"params": {"return_input": "maybe"}, "json": {"images": [FORTY_TWO_PNG_BASE64]}},
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_every_refusal_of_predict_is_the_same_on_read(client: httpx.Client, case: str) -> None:
    request = BAD_REQUESTS[case]()
    predicted, read = client.post("/predict", **request), client.post("/read", **request)
    assert 400 <= predicted.status_code < 500, f"/predict should refuse {case}: {predicted.text[:200]}"
    assert read.status_code == predicted.status_code, (case, read.text[:200], predicted.text[:200])
    assert read.json()["error"]["code"] == predicted.json()["error"]["code"], case
    assert "Traceback" not in read.json()["error"]["message"]
