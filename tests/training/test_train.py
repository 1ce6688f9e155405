"""train.py --dry-run end to end: checkpoint, ONNX, sidecar, parity, versions, resume, determinism.

Determinism here means the same machine: the two runs compared train in one process, on one CPU with
one set of libraries. Another CPU (other ISA flags, so other kernels) or another torch may train
other weights from the same seed; tests/training/test_committed_model.py holds for any CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
import torch

from training import train
from training.checkpoint import load_checkpoint
from training.data import load_test_set
from training.export import export_checkpoint
from training.onnx_io import INPUT_NAME, OUTPUT_NAME, ParityError, check_parity
from training.sidecar import sha256_of


def dry_run(tmp_path: Path, mnist_dir: Path, *extra: str) -> Path:
    train.main(
        [
            "--dry-run",
            "--data-dir",
            str(mnist_dir),
            "--output-dir",
            str(tmp_path / "models"),
            "--checkpoint-dir",
            str(tmp_path / "runs"),
            "--threads",
            "1",
            *extra,
        ]
    )
    return tmp_path / "models"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> Path:
    return dry_run(tmp_path_factory.mktemp("dry"), mnist_dir)


def test_dry_run_writes_checkpoint_onnx_and_sidecar(exported: Path) -> None:
    ckpt = load_checkpoint(exported.parent / "runs" / "mnist-lstm" / "best.pt")
    assert ckpt.model_config == {"input_size": 28, "hidden_size": 128, "num_layers": 1, "num_classes": 10}
    assert 1 <= ckpt.best_epoch <= ckpt.epoch and len(ckpt.history) == ckpt.epoch
    assert ckpt.best_metrics["val_acc"] == max(h["val_acc"] for h in ckpt.history)
    assert set(ckpt.dataset_checksums) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    for name in ("mnist-lstm", "mnist-lstm-int8"):
        version_dir = exported / name / "1"
        assert {"model.onnx", "model.json", "confusion.png"} <= {p.name for p in version_dir.iterdir()}
        sidecar = json.loads((version_dir / "model.json").read_text())
        assert sidecar["sha256"] == sha256_of(version_dir / "model.onnx")
        assert sidecar["inputs"] == [{"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, 28, 28]}]
        assert sidecar["outputs"] == [{"name": OUTPUT_NAME, "datatype": "FP32", "shape": [-1, 10]}]
        assert sidecar["preprocessing"]["value_range"] == [0.0, 1.0]
        assert len(sidecar["metrics"]["test_per_class_accuracy"]) == 10
        assert sidecar["training"]["args"]["dry_run"] is True
        assert sidecar["training"]["args"]["seed"] == 1
        assert set(sidecar["training"]["trained_on"]) >= {"cpu", "isa_flags", "torch"}
        assert "trained_on" not in sidecar["training"]["args"]
        assert sidecar["training"]["augmentation"]["p_elastic"] > 0, "the augmentation it was trained with"
        measured = sidecar["metrics"]["measured_on"]
        assert {"cpu", "isa_flags", "arch", "onnxruntime"} <= set(measured), "where the figures hold"
        assert "--dry-run" in sidecar["training"]["command"]
        onnx.checker.check_model(onnx.load(str(version_dir / "model.onnx")))
    assert (exported / "mnist-lstm" / "1" / "curves.png").stat().st_size > 1000
    int8 = json.loads((exported / "mnist-lstm-int8" / "1" / "model.json").read_text())
    assert int8["quantization"]["weight_type"] == "int8"


def test_exported_onnx_passes_parity(exported: Path, mnist_dir: Path) -> None:
    ckpt = load_checkpoint(exported.parent / "runs" / "mnist-lstm" / "best.pt")
    images = load_test_set(mnist_dir, download=False).images
    diff = check_parity(ckpt.build_model(), exported / "mnist-lstm" / "1" / "model.onnx", images)
    assert diff < 1e-4


def test_parity_failure_writes_nothing(exported: Path, mnist_dir: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(exported.parent / "runs" / "mnist-lstm" / "best.pt")
    other = ckpt.build_model()
    with torch.no_grad():
        other.head.bias.add_(1.0)
    images = load_test_set(mnist_dir, download=False).images
    with pytest.raises(ParityError, match="batch 1"):
        check_parity(other, exported / "mnist-lstm" / "1" / "model.onnx", images)


def test_new_export_gets_the_next_version_and_never_overwrites(exported: Path, mnist_dir: Path) -> None:
    best = exported.parent / "runs" / "mnist-lstm" / "best.pt"
    test = load_test_set(mnist_dir, download=False)
    before = sha256_of(exported / "mnist-lstm" / "1" / "model.onnx")
    with pytest.raises(FileExistsError, match="never overwritten"):
        export_checkpoint(best, exported, "mnist-lstm", 1, test)
    fp32_dir, int8_dir = export_checkpoint(best, exported, "mnist-lstm", None, test)
    assert (fp32_dir.name, int8_dir.name) == ("2", "2")
    assert sha256_of(exported / "mnist-lstm" / "1" / "model.onnx") == before
    assert not list(exported.glob(".export-*")), "staging directories must be cleaned up"


def test_same_seed_gives_identical_weights_on_the_same_machine(tmp_path: Path, mnist_dir: Path) -> None:
    """Same seed, same process, same CPU and libraries: bit-identical weights (not across machines)."""
    runs = []
    for run in ("a", "b"):
        dry_run(tmp_path / run, mnist_dir, "--no-export")
        runs.append(load_checkpoint(tmp_path / run / "runs" / "mnist-lstm" / "last.pt").model_state)
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_resume_after_a_crash_matches_an_uninterrupted_run(
    tmp_path: Path, mnist_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs on this machine, so the resumed weights must equal the uninterrupted ones exactly."""
    dry_run(tmp_path / "straight", mnist_dir, "--no-export", "--epochs", "2")
    straight = load_checkpoint(tmp_path / "straight" / "runs" / "mnist-lstm" / "last.pt")

    calls = {"n": 0}
    real_evaluate = train.evaluate

    def crash_on_second_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated crash after epoch 1 was saved")
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(train, "evaluate", crash_on_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        dry_run(tmp_path / "crashed", mnist_dir, "--no-export", "--epochs", "2")
    monkeypatch.setattr(train, "evaluate", real_evaluate)
    last = tmp_path / "crashed" / "runs" / "mnist-lstm" / "last.pt"
    assert load_checkpoint(last).epoch == 1
    resumed = train.main(
        [
            "--dry-run",
            "--data-dir",
            str(mnist_dir),
            "--checkpoint-dir",
            str(tmp_path / "crashed" / "runs"),
            "--no-export",
            "--threads",
            "1",
            "--epochs",
            "2",
            "--resume",
            str(last),
        ]
    )
    assert resumed.epoch == 2 and [h["epoch"] for h in resumed.history] == [1, 2]
    assert all(torch.equal(resumed.model_state[k], straight.model_state[k]) for k in straight.model_state)
    assert resumed.history[1]["val_loss"] == pytest.approx(straight.history[1]["val_loss"])


def test_the_last_calm_epochs_train_with_half_the_augmentation() -> None:
    args = train.parse_args(["--epochs", "25", "--calm-epochs", "5", "--augment-strength", "1.2"])
    strengths = [train.augment_strength(args, epoch) for epoch in range(1, 26)]
    assert strengths == [1.2] * 20 + [0.6] * 5
    args = train.parse_args(["--calm-epochs", "0"])
    assert {train.augment_strength(args, epoch) for epoch in range(1, args.epochs + 1)} == {1.0}
