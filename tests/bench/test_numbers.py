"""bench.numbers: the picture it sends, the server time it reads from the access log, and how the
table and the target show them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from bench.digits import load_digits
from bench.numbers import number_png, server_ms
from bench.report import read_table
from bench.targets import read_target


def test_the_picture_is_a_400x120_png_of_four_sample_digits() -> None:
    data, text = number_png(load_digits())
    picture = np.asarray(Image.open(io.BytesIO(data)))
    assert picture.shape == (120, 400) and text == "7210"
    assert picture[0].min() == 255 and picture[:, 0].min() == 255, "dark digits on a white page"
    inked = np.flatnonzero((picture < 128).any(axis=0))
    assert len(np.flatnonzero(np.diff(inked) > 1)) == 3, "four digits with gaps between them"


def test_server_time_is_the_median_of_the_routes_200s_after_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    old = {"logger": "service.access", "route": "/read", "status": 200, "latency_ms": 99.0}
    log.write_text(json.dumps(old) + "\n")
    offset = log.stat().st_size
    lines = [
        {"logger": "service.access", "route": "/read", "status": 200, "latency_ms": 7.0},
        {"logger": "service.access", "route": "/read", "status": 200, "latency_ms": 9.0},
        {"logger": "service.access", "route": "/read", "status": 200, "latency_ms": 8.0},
        {"logger": "service.access", "route": "/read", "status": 503, "latency_ms": 0.1},
        {"logger": "service.access", "route": "/predict", "status": 200, "latency_ms": 5.0},
        {"logger": "uvicorn.error", "message": "not an access line"},
    ]
    with log.open("a") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)
        out.write('{"logger": "service.access", "route": "/read", "sta')  # still being written
    assert server_ms(log, offset, "/read") == 8.0
    assert server_ms(log, offset, "/predict") == 5.0
    assert server_ms(log, offset, "/v2") is None


def test_the_table_and_the_target_compare_read_with_predict_at_c1() -> None:
    point = {"rps": 100.0, "p50_ms": 7.0, "p99_ms": 12.0, "errors": 0}
    read = {
        "picture": {"size": [400, 120], "number": "7210", "bytes": 9000},
        "read_as": "7210",
        "predict_as": 4,
        "medians": {r: [{**point, "concurrency": c} for c in (1, 64)] for r in ("read", "predict")},
        "server_ms": {"read": {"1": 7.5, "64": 300.0}, "predict": {"1": 5.0, "64": 200.0}},
    }
    table = read_table(read)
    assert "/read says 7210, /predict says 4" in table
    assert any(row.split()[:2] == ["1", "/read"] and row.split()[-2] == "7.50" for row in table.splitlines())
    target = read_target({"read": read})
    assert target.value == 1.5 and target.ok is True
    assert read_target({}).ok is None, "not measured: n/a"
