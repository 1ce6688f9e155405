"""Locust users for ``POST /predict``: multipart PNG uploads (weight 3) and JSON pixel arrays (weight 1).

Works headless against any deployment of the service (or bench/servers/naive.py), e.g.::

    locust -f bench/load/locustfile.py --headless -u 64 -r 64 -t 30s --host http://127.0.0.1:8000 --csv out

Each request carries real MNIST test digits from ``bench/data/`` (``BENCH_IMAGES`` per request,
default 1), chosen at random; an answer counts as a success only if it is a 200 with one prediction
per image. Users send back to back (no wait): a closed loop, like wrk.
"""

from __future__ import annotations

import os
import random
from functools import cache

from locust import FastHttpUser, constant, task

from bench.digits import load_digits
from bench.load.bodies import Body, Payload, predict_body

VARIANTS = 16  # distinct bodies per payload kind


@cache
def bodies(payload: Payload) -> list[Body]:
    digits = load_digits()
    per_request = int(os.environ.get("BENCH_IMAGES", "1"))
    rng = random.Random(0)
    return [predict_body(rng.sample(digits, per_request), payload) for _ in range(VARIANTS)]


class PredictUser(FastHttpUser):
    wait_time = constant(0)

    def post(self, payload: Payload) -> None:
        body = random.choice(bodies(payload))
        headers = {"Content-Type": body.content_type}
        name = f"/predict [{payload}]"
        # Locust annotates data as str | dict, but geventhttpclient sends bytes as they are.
        with self.client.post(
            "/predict",
            data=body.content,  # type: ignore[arg-type]
            headers=headers,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif len((response.json() or {}).get("predictions", [])) != body.images:
                response.failure(f"expected {body.images} predictions")

    @task(3)
    def upload_png(self) -> None:
        self.post("png")

    @task(1)
    def json_pixels(self) -> None:
        self.post("json")
