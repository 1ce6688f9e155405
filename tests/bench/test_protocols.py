"""The benchmark's protocol part for real, in miniature: gRPC, REST v2 and /predict on one service."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.digits import load_digits
from bench.protocols import protocols_part
from bench.report import protocols_table
from bench.targets import protocol_targets

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load is not installed (nghttp2-client)"),
]
ORT = [{"batch": 64, "images_per_s": 1000.0, "ms_per_batch": 64.0}]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    args = argparse.Namespace(repeats=1, grpc_concurrency=[2], grpc_duration=1.0, warmup=0.0)
    return protocols_part(args, load_digits(), Path(tmp_path_factory.mktemp("protocols")))


def test_every_protocol_was_measured_without_errors(result: dict[str, Any]) -> None:
    assert set(result["medians"]) == {f"{p}-{n}" for p in ("grpc", "v2", "predict") for n in (1, 64)}
    for name, (point,) in result["medians"].items():
        assert point["concurrency"] == 2 and point["rps"] > 0, f"{name}: {point}"
        assert point["errors"] == 0 and set(point["statuses"]) == {"200"}, f"{name}: {point}"
    assert 0 < result["client_cpu_share_max"] < 1, "h2load used a share of one core"


def test_the_table_and_the_targets_read_the_result(result: dict[str, Any]) -> None:
    rows = protocols_table(result, ORT).splitlines()
    assert rows[0].split()[:3] == ["images", "conc", "protocol"] and len(rows) == 1 + 6 + 1
    assert [row.split()[2] for row in rows[1:4]] == ["grpc", "v2", "predict"]
    assert rows[2].split()[-2] == "1.00x", "REST v2 is the yardstick of its own row"
    assert rows[4].split()[-1].endswith("%"), "64-image calls are compared with raw onnxruntime"
    targets = {t.name: t for t in protocol_targets({"protocols": result, "ort": ORT})}
    share = targets["gRPC 64-image calls, images/s / raw ORT batch 64"]
    assert share.value == pytest.approx(result["medians"]["grpc-64"][0]["rps"] * 64 / 1000.0)
    rest = targets["gRPC 1-image calls c=64, calls/s / REST v2 infer"]
    assert (rest.value, rest.ok) == (None, None), "c=64 was not measured here, so no verdict"
