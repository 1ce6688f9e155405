"""training/sweep.py --dry-run: a report with every field, seeds that really differ, nothing in models/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from training import sweep
from training.checkpoint import load_checkpoint


def run_sweep(out: Path, mnist_dir: Path, *extra: str) -> dict[str, Any]:
    argv = ["--dry-run", "--seeds", "2", "--first-seed", "3", "--out", str(out), "--data-dir", str(mnist_dir)]
    return sweep.main([*argv, *extra, "--", "--threads", "1"])


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("sweep")
    run_sweep(out, mnist_dir, "--version", "3")
    return out


def test_report_has_per_seed_figures_spread_and_machine(swept: Path) -> None:
    report = json.loads((swept / "sweep.json").read_text())
    assert report["seeds"] == [3, 4] and report["dry_run"] is True
    assert report["recipe"] == "python training/train.py --threads 1"
    assert {"cpu", "isa_flags", "cores", "torch", "onnxruntime"} <= set(report["machine"])
    for key in ("test_accuracy_fp32", "test_accuracy_int8", "val_accuracy", "run_wall_s"):
        values = [run[key] for run in report["runs"]]
        assert report["summary"][key] == {
            "median": pytest.approx(sum(values) / 2),
            "min": min(values),
            "max": max(values),
        }
    for run in report["runs"]:
        assert 0.0 <= run["test_accuracy_fp32"] <= 1.0 and 0.0 <= run["test_accuracy_int8"] <= 1.0
        assert run["run_wall_s"] >= run["train_wall_s"] > 0 and run["cpu_s"] > 0
        assert len(run["load_avg_at_end"]) == 3
        assert f"--seed {run['seed']}" in run["command"] and "--dry-run" in run["command"]
    markdown = (swept / "sweep.md").read_text()
    assert markdown.count("\n| 3 |") == 1 and markdown.count("\n| 4 |") == 1
    assert "| **median** |" in markdown and report["machine"]["cpu"] in markdown


def test_each_seed_is_exported_as_the_requested_version_and_says_its_seed(swept: Path) -> None:
    for seed in (3, 4):
        repo = swept / f"seed{seed}" / "models"
        for name in ("mnist-lstm", "mnist-lstm-int8"):
            sidecar = json.loads((repo / name / "3" / "model.json").read_text())
            assert sidecar["training"]["args"]["seed"] == seed
            assert sidecar["metrics"]["measured_on"]["isa_flags"] is not None


def test_the_seeds_really_differ(swept: Path) -> None:
    runs = [load_checkpoint(swept / f"seed{s}" / "runs" / "mnist-lstm" / "best.pt") for s in (3, 4)]
    weights = [r.model_state["lstm.weight_hh_l0"] for r in runs]
    assert not torch.equal(*weights), "two seeds trained the same weights"
    assert runs[0].history != runs[1].history
    report = json.loads((swept / "sweep.json").read_text())
    losses = [r["final_train_loss"] for r in report["runs"]]
    assert losses[0] != losses[1]


def test_it_never_overwrites_a_seed_and_keeps_its_own_arguments(swept: Path, mnist_dir: Path) -> None:
    with pytest.raises(SystemExit, match="exists"):
        run_sweep(swept, mnist_dir)
    with pytest.raises(SystemExit):
        sweep.main(["--out", str(swept / "other"), "--", "--seed", "7"])
    with pytest.raises(SystemExit):
        sweep.main(["--out", str(swept / "other"), "--", "--output-dir=models"])
    assert not (swept / "other").exists()


def test_the_default_output_is_a_scratch_folder_not_the_model_repository() -> None:
    args, _ = sweep.parse_args([])
    assert args.out == Path("runs/sweep") and args.seeds == 3 and args.first_seed == 1
