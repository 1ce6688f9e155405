"""Export a training checkpoint into the model repository as a verified ONNX model.

    python training/export.py runs/mnist-lstm/best.pt

Writes ``<repo>/<name>/<version>/`` (fp32) and ``<repo>/<name>-int8/<version>/``
(dynamically quantised), each with ``model.onnx``, ``model.json`` and plots.
Nothing is written unless onnx.checker passes and onnxruntime agrees with
PyTorch at batch 1, 7 and 64. A version directory that exists is never touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `training` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from onnxruntime.quantization import QuantType, quantize_dynamic

from training.checkpoint import Checkpoint, load_checkpoint
from training.data import Split, load_test_set, resolve_data_dir
from training.model_card import write_card, write_repository_readme
from training.onnx_io import check_parity, evaluate_onnx, export_onnx
from training.plots import plot_confusion, plot_curves
from training.sidecar import build_sidecar, git_commit, write_sidecar


def next_version(model_dir: Path) -> int:
    """One more than the highest numeric version directory, or 1."""
    versions = [int(p.name) for p in model_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


def training_record(ckpt: Checkpoint) -> dict[str, object]:
    return {
        "command": ckpt.args.get("command", ""),
        "args": {k: v for k, v in ckpt.args.items() if k not in ("command", "trained_on", "augmentation")},
        "augmentation": ckpt.args.get("augmentation"),
        "trained_on": ckpt.args.get("trained_on"),
        "git_commit": git_commit(),
        "dataset_sha256": ckpt.dataset_checksums,
        "epochs_run": ckpt.epoch,
        "best_epoch": ckpt.best_epoch,
        "wall_time_s": round(ckpt.wall_time_s, 1),
        "model_config": ckpt.model_config,
    }


def export_checkpoint(
    ckpt_path: Path, repo: Path, name: str, version: int | None, test: Split
) -> tuple[Path, Path]:
    """Export fp32 and int8 models; return their version directories."""
    ckpt = load_checkpoint(ckpt_path)
    model = ckpt.build_model()
    version = version or max(next_version(repo / name), next_version(repo / f"{name}-int8"))
    fp32_dir, int8_dir = repo / name / str(version), repo / f"{name}-int8" / str(version)
    for target in (fp32_dir, int8_dir):
        if target.exists():
            raise FileExistsError(f"{target} exists; versions are never overwritten")
    repo.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=repo, prefix=".export-") as tmp_name:
        tmp = Path(tmp_name)
        stage32, stage8 = tmp / "fp32", tmp / "int8"
        stage32.mkdir()
        stage8.mkdir()
        onnx32 = stage32 / "model.onnx"
        export_onnx(model, onnx32)
        parity = check_parity(model, onnx32, test.images)
        print(f"parity ok: max |onnx - torch| = {parity:.2e} at batch 1, 7, 64")
        record = training_record(ckpt)
        best = ckpt.best_metrics
        ev32 = evaluate_onnx(onnx32, test)
        metrics32 = ev32.summary() | {
            "val_accuracy": best.get("val_acc"),
            "parity_max_abs_diff": parity,
        }
        write_sidecar(build_sidecar(onnx32, name, version, metrics32, record), stage32)
        plot_curves(ckpt.history, stage32 / "curves.png", ckpt.best_epoch)
        plot_confusion(ev32.confusion, stage32 / "confusion.png", f"{name} v{version}: test set")
        print(f"{name} v{version}: test accuracy {100 * ev32.accuracy:.2f}%")

        onnx8 = stage8 / "model.onnx"
        quantize_dynamic(onnx32, onnx8, weight_type=QuantType.QInt8)
        ev8 = evaluate_onnx(onnx8, test)
        agreement = float(np.mean(ev8.predictions == ev32.predictions))
        metrics8 = ev8.summary() | {"agreement_with_fp32": agreement}
        quant = {"method": "onnxruntime dynamic", "weight_type": "int8", "source": f"{name}/{version}"}
        write_sidecar(build_sidecar(onnx8, f"{name}-int8", version, metrics8, record, quant), stage8)
        plot_confusion(ev8.confusion, stage8 / "confusion.png", f"{name}-int8 v{version}: test set")
        print(
            f"{name}-int8 v{version}: test accuracy {100 * ev8.accuracy:.2f}% "
            f"(agrees with fp32 on {100 * agreement:.2f}%)"
        )

        write_card(stage32, stage8)
        for stage, target in ((stage32, fp32_dir), (stage8, int8_dir)):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(stage), str(target))
    write_repository_readme(repo, fp32_dir, int8_dir)
    print(f"wrote {fp32_dir} and {int8_dir}")
    return fp32_dir, int8_dir


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "checkpoint", type=Path, help="a checkpoint written by train.py (e.g. runs/mnist-lstm/best.pt)"
    )
    p.add_argument(
        "--output-dir", type=Path, default=Path("models"), help="model repository (default: %(default)s)"
    )
    p.add_argument("--name", default="mnist-lstm", help="model name (default: %(default)s)")
    p.add_argument("--version", type=int, default=None, help="version to write (default: next free number)")
    p.add_argument("--data-dir", default=None, help="MNIST directory (default: $MNIST_DIR or data/mnist)")
    args = p.parse_args(argv)
    test = load_test_set(resolve_data_dir(args.data_dir))
    export_checkpoint(args.checkpoint, args.output_dir, args.name, args.version, test)


if __name__ == "__main__":
    main()
