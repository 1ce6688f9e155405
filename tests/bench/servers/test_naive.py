"""The naive baseline really classifies: the load scripts must hit real work on both formats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bench.digits import Digit, load_digits
from bench.load.bodies import predict_body
from bench.servers.naive import create_app, latest_model


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(latest_model())) as c:
        yield c


@pytest.fixture(scope="module")
def digits() -> list[Digit]:
    return load_digits()[:8]


@pytest.mark.parametrize("payload", ["png", "json"])
def test_naive_server_reads_the_digits_right(client: TestClient, digits: list[Digit], payload: str) -> None:
    body = predict_body(digits, "png" if payload == "png" else "json")
    response = client.post("/predict", content=body.content, headers={"Content-Type": body.content_type})
    assert response.status_code == 200, response.text
    predicted = [p["digit"] for p in response.json()["predictions"]]
    labels = [d.label for d in digits]
    assert sum(p == t for p, t in zip(predicted, labels, strict=True)) >= 7, f"{predicted} vs {labels}"


def test_naive_server_is_ready_and_rejects_an_empty_upload(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    response = client.post("/predict", json={"images": []})
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": "no images"}
