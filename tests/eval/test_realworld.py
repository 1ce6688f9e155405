"""eval/realworld.py and its parts: the committed sample is intact, a real ONNX model is scored per
family and per digit for both pipelines, refusals count as wrong, and the reports are written."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eval import realworld
from eval.baseline import naive_preprocess
from eval.error_grid import CELL, Miss, error_grid, pick
from eval.labels import Sample, read_labels
from eval.scoring import FAILED, score, table
from service.errors import CorruptImage

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "realworld"
FAMILIES = ("font", "stroke", "photo", "scan")


def constant_model(path: Path, digit: int) -> Path:
    """A real ONNX model with the service's contract that always answers ``digit``."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.zeros((784, 10), np.float32), "w")
    bias = numpy_helper.from_array(np.eye(10, dtype=np.float32)[digit], "b")
    shape = numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")
    nodes = [
        helper.make_node("Reshape", ["pixels", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["scores"]),
        helper.make_node("Add", ["scores", "b"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [None, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [None, 10])],
        [weights, bias, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_committed_sample_is_complete_balanced_and_small() -> None:
    samples = read_labels(SAMPLE)
    files = sorted(p.name for p in SAMPLE.iterdir() if p.name != "labels.csv")

    assert sorted(s.file for s in samples) == files, "labels.csv and the files on disk disagree"
    assert Counter(s.family for s in samples) == dict.fromkeys(FAMILIES, 60), "60 images per family"
    assert Counter((s.family, s.label) for s in samples) == {(f, d): 6 for f in FAMILIES for d in range(10)}
    total = sum((SAMPLE / f).stat().st_size for f in files)
    assert total < 2_000_000, f"the committed sample grew to {total} bytes (limit 2 MB)"
    for s in samples:
        with Image.open(SAMPLE / s.file) as image:
            image.load()
            assert max(image.size) <= 256, f"{s.file} is {image.size}, larger than the 256 px cap"


def test_naive_baseline_squashes_without_inverting() -> None:
    image = Image.new("RGB", (90, 60), (255, 255, 255))
    image.paste((0, 0, 0), (40, 10, 50, 50))

    array = naive_preprocess(png_bytes(image), max_pixels=10_000)

    assert array.shape == (28, 28) and array.dtype == np.float32
    assert array[0, 0] == pytest.approx(1.0), "white paper must stay 1.0: the baseline does not invert"
    assert array[14, 14] == pytest.approx(0.0), "black ink must stay 0.0"
    with pytest.raises(ValueError, match="more than 100"):
        naive_preprocess(png_bytes(image), max_pixels=100)


def test_scores_overall_per_family_and_per_digit() -> None:
    samples = [Sample(f"{f}{d}", d, f, {}) for f in ("a", "b") for d in (1, 2)]
    predictions = np.array([1, 7, 1, FAILED])

    scores = score(samples, predictions)

    assert (scores.overall.correct, scores.overall.total, scores.refused) == (2, 4, 1)
    assert {f: a.rate for f, a in scores.per_family.items()} == {"a": 0.5, "b": 0.5}
    assert (scores.per_digit[1].rate, scores.per_digit[2].rate, scores.per_digit[0].total) == (1.0, 0.0, 0)
    text = table({"service": scores, "naive": scores}, "family")
    assert "overall" in text and "50.0%" in text and "naive" in text, text


def test_refused_images_count_as_wrong() -> None:
    samples = [Sample("x.png", 3, "font", {}), Sample("y.png", 3, "font", {})]

    def refuse_second(data: bytes, max_pixels: int) -> np.ndarray:
        if data == b"y":
            raise CorruptImage("damaged")
        return np.zeros((28, 28), np.float32)

    def always_three(pixels: np.ndarray) -> np.ndarray:
        return np.tile(np.eye(10, dtype=np.float32)[3], (len(pixels), 1))

    outcome = realworld.run_pipeline(samples, [b"x", b"y"], refuse_second, always_three, max_pixels=1)
    assert outcome.predictions.tolist() == [3, FAILED] and outcome.scores.refused == 1


def test_error_sheet_takes_families_in_turn_and_shows_both_images() -> None:
    data = png_bytes(Image.new("RGBA", (50, 80), (0, 0, 0, 0)))
    misses = [
        Miss(Sample(f"{f}-{i}.png", 1, f, {}), data, np.ones((28, 28), np.float32), 7)
        for f in "aab"
        for i in (0, 1)
    ]

    chosen = pick(misses, limit=3)
    sheet = error_grid(chosen, columns=2)

    assert [m.sample.family for m in chosen] == ["a", "b", "a"], "families must alternate"
    assert sheet.size == (2 * CELL[0], 2 * CELL[1])
    assert sheet.getpixel((CELL[0] // 2 + 40, 30)) == (255, 255, 255), "the 28x28 input (all ink) shows white"


def test_cli_scores_a_real_onnx_model_on_the_committed_sample(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "three.onnx", digit=3)
    report, sheet = tmp_path / "summary.json", tmp_path / "errors.png"

    code = realworld.main(
        ["--images", str(SAMPLE), "--model", str(model), "--json", str(report), "--errors-png", str(sheet)]
    )

    summary = json.loads(report.read_text())
    naive, service = summary["pipelines"]["naive"], summary["pipelines"]["service"]
    assert code == 0 and summary["count"] == 240
    assert naive["accuracy"] == 0.1, "a model that always says 3 is right on exactly the 3s (a tenth)"
    assert naive["per_digit"]["3"]["accuracy"] == 1.0 and naive["per_digit"]["4"]["accuracy"] == 0.0
    assert set(service["per_family"]) == set(FAMILIES) and service["accuracy"] <= 0.1
    assert len(summary["service_misses"]) == 240 - service["correct"], "every service miss is listed"
    assert summary["grouping"] == "family" and len(summary["per_image"]) == 240
    assert {r["digit"] for r in summary["per_image"]} <= {3, None}, "per-image answers are the model's"
    with Image.open(sheet) as image:
        assert image.width == 5 * CELL[0] and image.height >= 12 * CELL[1], "60 misses in rows of 5"


def test_cli_refuses_a_missing_model(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no model"):
        realworld.main(["--images", str(SAMPLE), "--model", str(tmp_path / "absent.onnx")])


def real_format_folder(folder: Path) -> Path:
    """A tiny set in the realworld-dev format: two styles, a PNG named .jpg, images in a subfolder."""
    (folder / "images").mkdir(parents=True)
    digit = Image.new("L", (60, 80), 255)
    digit.paste(0, (25, 10, 35, 70))
    (folder / "images" / "d001.jpg").write_bytes(png_bytes(digit))  # PNG data, .jpg name
    digit.save(folder / "images" / "d002.jpg", "JPEG")
    Image.eval(digit, lambda v: 255 - v).save(folder / "images" / "d003.png")
    (folder / "labels.csv").write_text(
        "path,label,source,style\n"
        "images/d001.jpg,1,someone/repo:1.jpg@abc1234,photo\n"
        "images/d002.jpg,3,someone/repo:3.jpg@abc1234,photo\n"
        "images/d003.png,3,other/repo:3.png@def5678,drawing-light-on-dark\n"
    )
    return folder


def test_cli_reads_a_real_set_by_content_and_reports_per_style(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = real_format_folder(tmp_path / "dev")
    model = constant_model(tmp_path / "three.onnx", digit=3)
    report = tmp_path / "dev.json"

    assert realworld.main(["--images", str(folder), "--model", str(model), "--json", str(report)]) == 0

    out = capsys.readouterr().out
    summary = json.loads(report.read_text())
    assert out.splitlines()[2].startswith("style "), f"the table must say style, not family:\n{out}"
    assert summary["grouping"] == "style" and summary["count"] == 3
    service = summary["pipelines"]["service"]
    assert service["refused"] == 0, "the PNG named .jpg must be decoded by its content"
    assert service["per_family"] == {
        "photo": {"accuracy": 0.5, "correct": 1, "total": 2},
        "drawing-light-on-dark": {"accuracy": 1.0, "correct": 1, "total": 1},
    }
    assert [(r["file"], r["style"], r["digit"]) for r in summary["per_image"]] == [
        ("images/d001.jpg", "photo", 3),
        ("images/d002.jpg", "photo", 3),
        ("images/d003.png", "drawing-light-on-dark", 3),
    ]
