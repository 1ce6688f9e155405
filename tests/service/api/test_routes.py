"""The HTTP API end to end: a real uvicorn on 127.0.0.1, real onnxruntime, the committed model.

Every test runs twice: with ``POST /predict`` served directly by the gateway (the default) and through
FastAPI's router (``DIGITS_DIRECT_PREDICT=false``); both doors must give the same answers and errors.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.live import MODELS, live_server
from training.idx import load_images, load_labels

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=[True, False], ids=["direct", "via-fastapi"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    with live_server(direct_predict=request.param) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The first 32 MNIST test digits and their labels."""
    images = load_images(mnist_dir / "t10k-images-idx3-ubyte.gz")[:32]
    return images, load_labels(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:32]


def png(pixels: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def photo_like(pixels: np.ndarray) -> bytes:
    """A large JPEG of a dark digit on light, off-centre paper: what a phone would upload."""
    digit = Image.fromarray(255 - pixels).resize((180, 180), Image.Resampling.BICUBIC)
    paper = Image.new("L", (400, 300), 235)
    paper.paste(digit, (40, 70))
    buf = io.BytesIO()
    paper.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, str] = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"] and "Traceback" not in error["message"]
    return error


def assert_prediction(prediction: dict[str, object], digit: int) -> None:
    probabilities = prediction["probabilities"]
    assert isinstance(probabilities, list) and len(probabilities) == 10
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert prediction["digit"] == digit == int(np.argmax(probabilities))
    assert prediction["confidence"] == pytest.approx(max(probabilities))


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_model_metadata_matches_the_sidecar(client: httpx.Client) -> None:
    info = client.get("/model").json()
    sidecar = json.loads((MODELS / "mnist-lstm" / str(info["version"]) / "model.json").read_text())
    assert info["name"] == "mnist-lstm" and info["sha256"] == sidecar["sha256"]
    assert info["provider"] == "CPUExecutionProvider"
    assert info["test_accuracy"] == sidecar["metrics"]["test_accuracy"]
    assert info["input_contract"]["shape"] == [28, 28]


def test_one_png_upload(client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = digits
    response = client.post("/predict", files={"file": ("seven.png", png(images[0]), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "mnist-lstm" and len(body["predictions"]) == 1
    assert_prediction(body["predictions"][0], int(labels[0]))
    assert "input" not in body["predictions"][0]


def test_many_uploads_keep_their_order(client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = digits
    files = [("file", (f"{i}.png", png(images[i]), "image/png")) for i in range(8)]
    predictions = client.post("/predict", files=files).json()["predictions"]
    assert [p["digit"] for p in predictions] == labels[:8].tolist()


def test_photo_upload_and_returned_input(client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = digits
    response = client.post(
        "/predict",
        params={"return_input": "true"},
        files={"file": ("p.jpg", photo_like(images[1]), "image/jpeg")},
    )
    prediction = response.json()["predictions"][0]
    assert_prediction(prediction, int(labels[1]))
    seen = np.array(prediction["input"])
    assert seen.shape == (28, 28) and seen.min() >= 0 and seen.max() <= 1
    assert seen[0].max() == 0 and seen.max() > 0.9, "light digit on a dark, empty border"


def test_json_batch_of_base64_and_arrays(client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = digits
    payload = {
        "images": [
            base64.b64encode(png(images[2])).decode(),
            images[3].tolist(),
            "data:image/png;base64," + base64.b64encode(png(images[4], "RGBA")).decode(),
        ]
    }
    predictions = client.post("/predict", json=payload).json()["predictions"]
    assert [p["digit"] for p in predictions] == labels[2:5].tolist()


def test_json_arrays_in_0_to_1_with_input(
    client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = digits
    scaled = (images[5:9] / 255.0).tolist()
    body = client.post("/predict", json={"images": scaled, "value_range": "0-1", "return_input": True}).json()
    assert [p["digit"] for p in body["predictions"]] == labels[5:9].tolist()
    assert np.allclose(body["predictions"][0]["input"], images[5] / 255.0, atol=1e-6)


def test_request_id_is_echoed(client: httpx.Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_openapi_documents_both_content_types(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)
    example = body["application/json"]["examples"]["png"]["value"]
    assert client.post("/predict", json=example).json()["predictions"][0]["digit"] == 7


# --- the bad-input corpus: every case is a clear 4xx, and the service stays healthy ----------------


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    """A genuine 20000x20000 PNG: 400 megapixels that compress to a few tens of kilobytes."""
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")
    return buf.getvalue()


BAD_UPLOADS = {
    "zero bytes": (b"", 422, "invalid_input"),
    "text named .png": (b"hello, I am not an image\n" * 4, 415, "unsupported_image_format"),
    "truncated png": (None, 422, "corrupt_image"),
    "20000x20000 png bomb": (None, 413, "too_many_pixels"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads(
    client: httpx.Client, digits: tuple[np.ndarray, np.ndarray], bomb_png: bytes, case: str
) -> None:
    data, status, code = BAD_UPLOADS[case]
    if case == "truncated png":
        data = png(digits[0][0])[:60]
    elif case == "20000x20000 png bomb":
        assert len(bomb_png) < 1024 * 1024
        data = bomb_png
    assert data is not None
    response = client.post("/predict", files={"file": ("x.png", data, "image/png")})
    assert_error(response, status, code)
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("case", "pixels"),
    [
        ("one pixel", np.full((1, 1), 255, np.uint8)),
        ("blank white", np.full((200, 300), 255, np.uint8)),
        ("blank black 28x28", np.zeros((28, 28), np.uint8)),
        ("uniform grey", np.full((64, 64), 128, np.uint8)),
        ("noise", np.random.default_rng(0).integers(100, 156, (120, 120)).astype(np.uint8)),
    ],
)
def test_an_upload_without_a_digit_is_refused_with_no_digit(
    client: httpx.Client, case: str, pixels: np.ndarray
) -> None:
    response = client.post("/predict", files={"file": ("x.png", png(pixels), "image/png")})
    assert_error(response, 422, "no_digit")
    assert "no ink" in response.json()["error"]["message"] or "specks" in response.json()["error"]["message"]
    body = {"images": [base64.b64encode(png(pixels)).decode()]}
    assert_error(client.post("/predict", json=body), 422, "no_digit")


def test_a_blank_pixel_array_is_model_input_and_is_classified(client: httpx.Client) -> None:
    """Arrays are taken as model input as they are: no ink is not a reason to refuse them."""
    response = client.post("/predict", json={"images": [[[0] * 28] * 28]})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["uncertain"] in (True, False)


def test_fifty_megabyte_json_body(client: httpx.Client) -> None:
    body = b'{"images": ["' + b"A" * (50 * 1024 * 1024) + b'"]}'
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert client.get("/readyz").status_code == 200


def test_chunked_body_over_the_limit_is_cut_off(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"images": ["'
        for _ in range(24):
            yield b"A" * (1024 * 1024)

    response = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        (json.dumps({"images": [[[float("nan")] * 28] * 28]}), "invalid_array", "NaN"),
        (json.dumps({"images": [[[0] * 28] * 27]}), "invalid_array", "28"),
        (json.dumps({"images": [[[300] * 28] * 28]}), "invalid_array", "range"),
        (json.dumps({"images": [[[1.5] * 28] * 28], "value_range": "0-1"}), "invalid_array", "range"),
        (json.dumps({"images": ["!!not base64!!"]}), "invalid_input", "base64"),
        (json.dumps({"images": []}), "invalid_input", "images"),
        (json.dumps({"pictures": []}), "invalid_input", ""),
        ("{not json", "invalid_input", "JSON"),
    ],
    ids=["nan", "27 rows", "out of range", "over 1 as 0-1", "bad base64", "empty", "wrong field", "not json"],
)
def test_bad_json(client: httpx.Client, payload: str, code: str, fragment: str) -> None:
    response = client.post("/predict", content=payload, headers={"content-type": "application/json"})
    error = assert_error(response, 422, code)
    assert fragment.lower() in error["message"].lower()


def test_too_many_images(client: httpx.Client) -> None:
    response = client.post("/predict", json={"images": [[[0] * 28] * 28] * 257})
    error = assert_error(response, 413, "too_many_images")
    assert "257" in error["message"] and "256" in error["message"]


def test_unsupported_media_type(client: httpx.Client) -> None:
    response = client.post("/predict", content=b"abc", headers={"content-type": "text/plain"})
    assert_error(response, 415, "unsupported_media_type")


def test_a_file_part_without_a_filename_is_an_image(
    client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    """``curl -F 'file=<digit.png'`` sends no filename; the part named ``file`` is still the image."""
    images, labels = digits
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        + png(images[3])
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="return_input"\r\n\r\ntrue'
        f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/predict", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 200, response.text
    prediction = response.json()["predictions"][0]
    assert_prediction(prediction, int(labels[3]))
    assert np.asarray(prediction["input"]).shape == (28, 28), "the return_input form field is honoured"


@pytest.mark.parametrize(
    ("content_type", "body", "fragment"),
    [
        ("multipart/form-data", b"x", "boundary"),
        (
            "multipart/form-data; boundary=abc",
            b'--abc\r\nContent-Disposition: form-data; name="file"',
            "end of",
        ),
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nX-Nothing: 1\r\n\r\ndata\r\n--abc--\r\n",
            "disposition",
        ),
        ("multipart/form-data; boundary=abc", b"--abc--\r\n", "no images"),
    ],
    ids=["no boundary", "truncated", "no disposition", "no parts"],
)
def test_malformed_multipart_is_a_422(
    client: httpx.Client, content_type: str, body: bytes, fragment: str
) -> None:
    response = client.post("/predict", content=body, headers={"content-type": content_type})
    error = assert_error(response, 422, "invalid_input")
    assert fragment in error["message"].lower(), error


def test_a_bad_query_flag_is_a_422_that_names_it(client: httpx.Client) -> None:
    response = client.post("/predict?return_input=maybe", json={"images": [[[0] * 28] * 28]})
    assert response.status_code == 422, response.text
    assert "return_input" in response.json()["error"]["message"]
    fine = client.post("/predict?return_input=1", json={"images": [[[0] * 28] * 28]})
    assert "input" in fine.json()["predictions"][0], "1 means true, as FastAPI reads it"


def test_unknown_route_and_method(client: httpx.Client) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.get("/predict"), 405, "method_not_allowed")


def test_still_healthy_after_the_corpus(client: httpx.Client, digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = digits
    response = client.post("/predict", files={"file": ("a.png", png(images[9]), "image/png")})
    assert response.json()["predictions"][0]["digit"] == labels[9]
