"""eval/service_client.py and ``realworld.py --url``: what /predict answers becomes per-image results,
and a real running service gives the same answers as the offline pipeline on the same files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest

from eval import nondigit_score, nondigits, realworld, service_client
from eval.family_font import DEFAULT_FONT_DIR
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
def test_a_running_service_answers_as_the_offline_pipeline(tmp_path: Path, mnist_dir: Path) -> None:
    rows = [r for r in read_labels(SAMPLE) if int(r.file[-9:-4]) < 4]  # 16 files, every family
    (tmp_path / "digits").mkdir()
    for row in rows:
        shutil.copy(SAMPLE / row.file, tmp_path / "digits" / row.file)
    write_labels(tmp_path / "digits", rows)
    kinds = nondigits.makers(("blank", "letter"), DEFAULT_FONT_DIR, mnist_dir)
    nondigits.generate(tmp_path / "nondigits", per_kind=3, seed=2, kinds=kinds, max_side=200)
    offline, live, flags = (tmp_path / f"{name}.json" for name in ("offline", "live", "flags"))
    folders = ["--nondigits", str(tmp_path / "nondigits"), "--digits", str(tmp_path / "digits")]

    assert realworld.main(["--images", str(tmp_path / "digits"), "--json", str(offline)]) == 0
    with live_server() as url:
        assert realworld.main(["--images", str(tmp_path / "digits"), "--url", url, "--json", str(live)]) == 0
        assert nondigit_score.main([*folders, "--url", url, "--json", str(flags)]) == 0

    here, there = (json.loads(p.read_text())["per_image"] for p in (offline, live))
    assert [r["digit"] for r in there] == [r["digit"] for r in here], "the service must answer as offline"
    assert [r["confidence"] for r in there] == pytest.approx([r["confidence"] for r in here], abs=1e-3)
    assert all(isinstance(r["uncertain"], bool) for r in there), "the service's own flag is recorded"
    assert json.loads(live.read_text())["service"] == url
    report = json.loads(flags.read_text())
    assert report["per_kind"]["blank"]["no_digit"] == 1.0, "the service refuses blank pictures (422 no_digit)"
    assert report["table"][-1]["row"] == "service flag" and "service_flag" in report["per_kind"]["all"]
