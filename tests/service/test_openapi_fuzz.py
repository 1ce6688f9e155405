"""Fuzz every operation in the OpenAPI document against a real uvicorn with schemathesis.

For each operation, schemathesis generates requests from the schema (valid and invalid), sends them
to a live service and checks the answers: never a 5xx, only documented status codes, and bodies that
match the declared response schema. Examples are bounded and derandomised, so a run is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (pip install schemathesis)")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.live import MODELS, live_server  # noqa: E402

pytestmark = pytest.mark.slow

ADMIN_KEY = "fuzz-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # A key, so /admin/reload exists and is fuzzed too; no polling, so the repository stays still.
    with live_server(admin_api_key=ADMIN_KEY, poll_interval_s=0) as url:
        yield url


def served_schema() -> dict[str, object]:
    """The document the service serves at /openapi.json, built in process (no model is loaded)."""
    from service.app import create_app
    from service.config import Settings

    app = create_app(Settings(model_repository=MODELS, admin_api_key=ADMIN_KEY))
    return app.openapi()


# schemathesis.pytest.from_fixture fails on pytest 9 ('Function' object has no attribute '_nodeid'),
# so the schema is built here and the requests go to the live server's URL.
schema = schemathesis.openapi.from_dict(served_schema())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_honours_its_schema(case: Case, base_url: str) -> None:
    aim_at_a_served_model(case)
    case.call_and_validate(base_url=base_url, headers=AUTH, checks=CHECKS, timeout=30)


def aim_at_a_served_model(case: Case) -> None:
    """Random model names only ever reach the 404 path; send half the v2 calls to a served model."""
    params = case.path_parameters
    if params and isinstance(params.get("name"), str) and len(params["name"]) % 2 == 0:
        params["name"] = "mnist-lstm"
        if "version" in params:
            params["version"] = str(
                max(int(d.name) for d in (MODELS / "mnist-lstm").iterdir() if d.name.isdigit())
            )


def test_a_malformed_multipart_body_is_a_documented_422(base_url: str) -> None:
    """The fuzzer sent this (no boundary) and got Starlette's bare 400, which /predict does not document."""
    response = httpx.post(
        f"{base_url}/predict", headers={"content-type": "multipart/form-data"}, content=b"x"
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert "boundary" in response.json()["error"]["message"]


def test_far_too_many_files_is_a_413_not_a_400(base_url: str) -> None:
    """One file past Starlette's max_files gave a bare 400 instead of too_many_images."""
    files = [("file", ("d.png", b"x", "image/png"))] * 300
    response = httpx.post(f"{base_url}/predict", files=files)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_many_images"
