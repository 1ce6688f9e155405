"""eval/service_client.py and ``realworld.py --url``: what /predict answers becomes per-image results,
and a real running service gives the same answers as the offline pipeline on the same files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest

from eval import realworld, service_client
from eval.labels import read_labels, write_labels
from eval.scoring import FAILED
from tests.live import live_server

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "realworld"


def test_answers_refusals_and_the_uncertain_flag_are_parsed() -> None:
    probabilities = [0.02] * 9 + [0.82]
    answer = {"digit": 9, "confidence": 0.82, "probabilities": probabilities, "uncertain": True}
    ok = httpx.Response(200, json={"model": "m", "version": 2, "predictions": [answer]})
    refused = httpx.Response(422, json={"error": {"code": "no_digit", "message": "no digit"}})

    results = service_client.to_results([service_client.parse(ok), service_client.parse(refused)])

    assert results.refusals == (None, "no_digit") and results.digits.tolist() == [9, FAILED]
    assert results.uncertain == (True, None)
    assert results.record(0) == {"digit": 9, "confidence": 0.82, "refused": None, "uncertain": True}
    assert np.argmax(results.logits[0]) == 9, "log-probabilities keep the answer"
    with pytest.raises(RuntimeError, match="500"):
        service_client.parse(httpx.Response(500, text="boom"))


def test_without_the_flag_results_carry_no_uncertainty() -> None:
    answer = {"digit": 1, "confidence": 0.9, "probabilities": [0.1 / 9] * 1 + [0.9] + [0.1 / 9] * 8}
    reply = service_client.parse(httpx.Response(200, json={"predictions": [answer]}))

    assert service_client.to_results([reply]).uncertain is None


@pytest.mark.slow
def test_a_running_service_answers_as_the_offline_pipeline(tmp_path: Path) -> None:
    rows = [r for r in read_labels(SAMPLE) if int(r.file[-9:-4]) < 4]  # 16 files, every family
    for row in rows:
        shutil.copy(SAMPLE / row.file, tmp_path / row.file)
    write_labels(tmp_path, rows)
    offline, live = tmp_path / "offline.json", tmp_path / "live.json"

    assert realworld.main(["--images", str(tmp_path), "--json", str(offline)]) == 0
    with live_server() as url:
        assert realworld.main(["--images", str(tmp_path), "--url", url, "--json", str(live)]) == 0

    here, there = (json.loads(p.read_text())["per_image"] for p in (offline, live))
    assert [r["digit"] for r in there] == [r["digit"] for r in here], "the service must answer as offline"
    assert [r["confidence"] for r in there] == pytest.approx([r["confidence"] for r in here], abs=1e-3)
    assert json.loads(live.read_text())["service"] == url
