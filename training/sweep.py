"""Train the recipe with several seeds and report the spread of its test accuracy.

    python training/sweep.py                          # seeds 1, 2, 3 of the default recipe
    python training/sweep.py --seeds 5 --out /tmp/s   # five seeds, report in /tmp/s
    python training/sweep.py -- --epochs 20           # arguments after -- go to every train.py run
    python training/sweep.py --dry-run --seeds 2      # smoke test

One seed is not a recipe: the same seed trains different weights on another CPU, so the figure to
trust is the median and range over seeds. Seeds run one after another through train.py's main, each
exported into its own scratch repository, never into models/:
<out>/seed<N>/models/{mnist-lstm,mnist-lstm-int8}/<version>/ (ready to copy into models/) and
<out>/seed<N>/runs/. The report is <out>/sweep.json and <out>/sweep.md, rewritten after each seed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: busy-waiting is ~10x slower here

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `training` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import onnxruntime
import torch

from training import train
from training.machine import cpu_description

OWNED = ("--seed", "--output-dir", "--checkpoint-dir", "--version", "--resume", "--no-export")


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--seeds", type=int, default=3, help="number of seeds to train (default: %(default)s)")
    a("--first-seed", type=int, default=1, help="seeds are first-seed, first-seed+1, ... (default: 1)")
    a("--out", type=Path, default=Path("runs/sweep"), help="report and scratch repos (default: %(default)s)")
    a("--version", type=int, default=1, help="model version each seed exports as (default: %(default)s)")
    a("--data-dir", default=None, help="MNIST directory (default: $MNIST_DIR or data/mnist)")
    a("--dry-run", action="store_true", help="pass --dry-run to train.py: tiny subset, 2 epochs")
    a("train_args", nargs="*", help="after --: more train.py arguments for every seed (default: none)")
    args = p.parse_args(argv)
    taken = [t for t in args.train_args if t.split("=")[0] in OWNED]
    if taken:
        p.error(f"the sweep sets {', '.join(taken)} itself")
    if args.seeds < 1:
        p.error("--seeds must be at least 1")
    return args, args.train_args


def train_argv(args: argparse.Namespace, extra: list[str], seed: int) -> list[str]:
    seed_dir = args.out / f"seed{seed}"
    argv = ["--seed", str(seed), "--version", str(args.version)]
    argv += ["--output-dir", str(seed_dir / "models"), "--checkpoint-dir", str(seed_dir / "runs")]
    argv += ["--data-dir", args.data_dir] if args.data_dir else []
    return argv + (["--dry-run"] if args.dry_run else []) + extra


def run_seed(args: argparse.Namespace, extra: list[str], seed: int) -> dict[str, Any]:
    """Train and export one seed; its figures, time and where its models went."""
    argv = train_argv(args, extra, seed)
    name = train.parse_args(argv).name
    cpu0, wall0 = time.process_time(), time.perf_counter()
    state = train.main(argv)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    repo = args.out / f"seed{seed}" / "models"
    fp32_dir, int8_dir = repo / name / str(args.version), repo / f"{name}-int8" / str(args.version)
    fp32 = json.loads((fp32_dir / "model.json").read_text())["metrics"]
    int8 = json.loads((int8_dir / "model.json").read_text())["metrics"]
    return {
        "seed": seed,
        "test_accuracy_fp32": fp32["test_accuracy"],
        "test_accuracy_int8": int8["test_accuracy"],
        "int8_agreement_with_fp32": int8["agreement_with_fp32"],
        "val_accuracy": state.best_val_acc,
        "best_epoch": state.best_epoch,
        "epochs": state.epoch,
        "final_train_loss": state.history[-1]["train_loss"],
        "train_wall_s": round(state.wall_time_s, 1),
        "run_wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "command": shlex.join(["python", "training/train.py", *argv]),
        "models": [str(fp32_dir), str(int8_dir)],
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(args: argparse.Namespace, extra: list[str], runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("test_accuracy_fp32", "test_accuracy_int8", "val_accuracy", "run_wall_s")
    return {
        "recipe": shlex.join(["python", "training/train.py", *extra]),
        "dry_run": args.dry_run,
        "seeds": [r["seed"] for r in runs],
        "machine": cpu_description()
        | {"torch": str(torch.__version__), "onnxruntime": onnxruntime.__version__},
        "summary": {k: spread([r[k] for r in runs]) for k in keys},
        "runs": runs,
    }


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def render_markdown(report: dict[str, Any]) -> str:
    m, s = report["machine"], report["summary"]
    flags = " ".join(m["isa_flags"]) if m["isa_flags"] is not None else "unknown"
    lines = [
        f"# `{report['recipe']}` over {len(report['runs'])} seeds{' (dry run)' if report['dry_run'] else ''}",
        "",
        f"Measured on {m['cpu']} ({m['cores']} cores; {flags}), torch {m['torch']}, "
        f"onnxruntime {m['onnxruntime']}. MNIST test accuracy (10,000 images) by onnxruntime; "
        "validation accuracy (5,000 held-out training images) picked the kept epoch.",
        "",
        "| seed | test fp32 | test int8 | validation | kept epoch | wall time | CPU time | load 1/5/15 min |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["runs"]:
        load = " / ".join(f"{x:.1f}" for x in r["load_avg_at_end"])
        lines.append(
            f"| {r['seed']} | {pct(r['test_accuracy_fp32'])} | {pct(r['test_accuracy_int8'])} "
            f"| {pct(r['val_accuracy'])} | {r['best_epoch']}/{r['epochs']} | {r['run_wall_s']:.0f} s "
            f"| {r['cpu_s']:.0f} s | {load} |"
        )
    for stat in ("median", "min", "max"):
        lines.append(
            f"| **{stat}** | {pct(s['test_accuracy_fp32'][stat])} | {pct(s['test_accuracy_int8'][stat])} "
            f"| {pct(s['val_accuracy'][stat])} | | {s['run_wall_s'][stat]:.0f} s | | |"
        )
    lines += ["", "Each seed: `" + "`, `".join(r["command"] for r in report["runs"]) + "`.", ""]
    return "\n".join(lines)


def write_report(report: dict[str, Any], out: Path) -> None:
    (out / "sweep.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "sweep.md").write_text(render_markdown(report))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, extra = parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    existing = [args.out / f"seed{s}" for s in seeds if (args.out / f"seed{s}").exists()]
    if existing:
        sys.exit(f"{existing[0]} exists; pick another --out (a sweep never overwrites a seed)")
    train.parse_args(train_argv(args, extra, seeds[0]))  # bad train.py arguments fail before any run
    args.out.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    for seed in seeds:
        runs.append(run_seed(args, extra, seed))
        report = summarise(args, extra, runs)
        write_report(report, args.out)
        print(f"seed {seed}: test {pct(runs[-1]['test_accuracy_fp32'])} ({runs[-1]['run_wall_s']:.0f} s)")
    print(render_markdown(report))
    return report


if __name__ == "__main__":
    main()
