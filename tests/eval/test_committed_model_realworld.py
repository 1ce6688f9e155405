"""The committed model with the service's preprocessing on the committed realistic sample.

This is the real-world target of the service issue, as a regression test: the sample is 240
photos, scans, canvas drawings and printed digits the model never trained on.
"""

from __future__ import annotations

from pathlib import Path

from eval import realworld
from eval.baseline import naive_preprocess
from eval.labels import read_labels
from eval.pipeline import latest_model, onnx_predictor
from service.images.preprocess import preprocess_image

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "realworld"


def test_service_preprocessing_reaches_95_percent_where_a_naive_resize_fails() -> None:
    samples = read_labels(SAMPLE)
    blobs = [(SAMPLE / s.file).read_bytes() for s in samples]
    predict = onnx_predictor(latest_model(ROOT), threads=1)
    outcome = realworld.run_pipeline(samples, blobs, preprocess_image, predict, 25_000_000)
    service = outcome.scores
    naive = realworld.run_pipeline(samples, blobs, naive_preprocess, predict, 25_000_000).scores
    refused = [(s.file, code) for s, code in zip(samples, outcome.results.refusals, strict=True) if code]
    assert not refused, f"every image of the sample shows a digit, yet these were refused: {refused}"
    assert service.overall.rate >= 0.95, f"real-world accuracy fell to {service.overall.rate:.1%}"
    assert naive.overall.rate < 0.6, "the sample must stay hard for a naive resize"
    for family, accuracy in service.per_family.items():
        assert accuracy.rate >= 0.9, f"{family}: {accuracy.rate:.1%}"
