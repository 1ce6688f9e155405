"""Train the row-wise LSTM on MNIST and export it into the model repository.

python training/train.py            # the default model, written as a new version
python training/train.py --dry-run  # a few batches on a subset, for CI

A run is repeatable on one machine (same CPU features, torch and onnxruntime), not across machines:
kernels differ by instruction set, so one seed is one draw from the recipe (see training/sweep.py).
"""

from __future__ import annotations

import os
import shlex

# Busy-waiting OpenMP threads are ~10x slower on shared cores; must precede torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `training` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from training.augment import AugmentConfig, augment
from training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from training.data import Split, load_mnist, resolve_data_dir
from training.machine import cpu_description
from training.model import ModelConfig, RowLSTM
from training.prefetch import prefetch


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--epochs", type=int, default=30, help="number of training epochs (default: %(default)s)")
    a("--batch-size", type=int, default=128, help="training batch size (default: %(default)s)")
    a(
        "--outlier-weight",
        type=float,
        default=0.5,
        help="weight of the loss pushing non-digits toward a uniform answer, 0 = off (default: %(default)s)",
    )
    a("--outlier-batch", type=int, default=32, help="non-digits added to each batch (default: %(default)s)")
    a("--outlier-bank", type=int, default=20000, help="non-digits drawn once per run (default: %(default)s)")
    a("--lr", type=float, default=4e-3, help="peak learning rate (default: %(default)s)")
    a(
        "--schedule",
        choices=["onecycle", "cosine", "constant"],
        default="onecycle",
        help="learning-rate schedule (default: %(default)s)",
    )
    a(
        "--label-smoothing",
        type=float,
        default=0.05,
        help="cross-entropy label smoothing (default: %(default)s)",
    )
    a(
        "--ema-decay",
        type=float,
        default=0.999,
        help="evaluate and export an EMA of the weights, 0 = off (default: %(default)s)",
    )
    a(
        "--augment-strength",
        type=float,
        default=1.0,
        help="multiplier on every augmentation magnitude and probability (default: %(default)s)",
    )
    a(
        "--calm-epochs",
        type=int,
        default=5,
        help="the last N epochs train with half the augmentation strength, so the kept weights also fit "
        "clean digits (default: %(default)s)",
    )
    a("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default: %(default)s)")
    a("--clip-grad", type=float, default=1.0, help="gradient-norm clipping, 0 = off (default: %(default)s)")
    a(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="augment like real uploads: shape, placement, pen width, faint ink, blur (default: on)",
    )
    a(
        "--seed",
        type=int,
        default=1,
        help="random seed for init, shuffling and augmentation; it fixes the weights only on the same CPU "
        "and libraries, so judge a recipe with training/sweep.py (default: %(default)s)",
    )
    a(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch CPU threads for the model step; augmentation runs beside it in its own thread "
        "(default: all cores, %(default)s)",
    )
    a(
        "--val-size",
        type=int,
        default=5000,
        help="training images held out for validation (default: %(default)s)",
    )
    a("--data-dir", default=None, help="MNIST directory (default: $MNIST_DIR or data/mnist)")
    a("--output-dir", default="models", help="model repository to export into (default: %(default)s)")
    a("--name", default="mnist-lstm", help="model name in the repository (default: %(default)s)")
    a("--version", type=int, default=None, help="version to write (default: next free number)")
    a("--checkpoint-dir", default="runs", help="where checkpoints go (default: %(default)s)")
    a("--resume", default=None, help="last.pt of an interrupted run, to continue it (default: start fresh)")
    a("--no-export", action="store_true", help="train only; skip the ONNX export")
    a("--dry-run", action="store_true", help="at most 2 epochs on 512 training images, for smoke tests")
    return p.parse_args(argv)


def batches(split: Split, batch_size: int, generator: torch.Generator | None):
    """Yield ``(float pixels [B,28,28], int64 labels [B])``; shuffled when given a generator."""
    n = len(split)
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    images, labels = torch.from_numpy(split.images), torch.from_numpy(split.labels)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield images[idx].float().div_(255.0), labels[idx].long()


def augment_strength(args: argparse.Namespace, epoch: int) -> float:
    """``--augment-strength``, halved in the last ``--calm-epochs`` epochs."""
    calm = epoch > args.epochs - args.calm_epochs
    return args.augment_strength * (0.5 if calm else 1.0)


def outlier_loss(logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy to the uniform distribution: smallest (log 10) when every class is equally likely."""
    return (torch.logsumexp(logits, dim=1) - logits.mean(dim=1)).mean()


def prepared_batches(split, args, generator, epoch, outliers=None):
    """Yield ``(pixels, labels)`` ready for the model: augmented, and with ``args.outlier_batch``
    non-digits appended after the labelled digits when ``outliers`` is given."""
    aug_cfg = AugmentConfig().scaled(augment_strength(args, epoch))
    for x, y in batches(split, args.batch_size, generator):
        if args.augment:
            x = augment(x, aug_cfg, generator)
        if outliers is not None:
            picked = outliers[torch.randint(len(outliers), (args.outlier_batch,), generator=generator)]
            x = torch.cat([x, augment(picked, aug_cfg, generator) if args.augment else picked])
        yield x, y


def train_one_epoch(
    model, ema, split, optimizer, scheduler, args, generator, epoch, outliers=None
) -> dict[str, float]:
    """One pass over ``split``; with ``outliers``, each batch also holds ``args.outlier_batch``
    non-digits, trained toward a uniform answer (outlier exposure, training/outliers.py). The next
    batch is prepared in a background thread while this one trains (training/prefetch.py)."""
    model.train()
    seen, loss_sum, correct = 0, 0.0, 0
    total = (len(split) + args.batch_size - 1) // args.batch_size
    ready = prefetch(prepared_batches(split, args, generator, epoch, outliers))
    bar = tqdm(ready, total=total, desc=f"epoch {epoch}", leave=False)
    for x, y in bar:
        logits = model(x)
        loss = F.cross_entropy(logits[: len(y)], y, label_smoothing=args.label_smoothing)
        if outliers is not None:
            loss = loss + args.outlier_weight * outlier_loss(logits[len(y) :])
            logits = logits[: len(y)]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad)
        optimizer.step()
        scheduler.step()
        if ema is not None:
            ema.update_parameters(model)
        seen += len(y)
        loss_sum += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
    return {"train_loss": loss_sum / seen, "train_acc": correct / seen}


@torch.no_grad()
def evaluate(model, split: Split, batch_size: int = 1000) -> tuple[float, float, np.ndarray]:
    """Return ``(mean loss, accuracy, predicted labels)`` over a split, in order."""
    model.eval()
    loss_sum, preds = 0.0, []
    for x, y in batches(split, batch_size, None):
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        preds.append(logits.argmax(1).numpy())
    pred = np.concatenate(preds)
    return loss_sum / len(split), float((pred == split.labels).mean()), pred


def make_schedule(optimizer, args, steps_per_epoch: int):
    total = args.epochs * steps_per_epoch
    if args.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=total, pct_start=0.2)
    if args.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)


def _record_full_history(best_path: Path, state: Checkpoint) -> None:
    """Give the best checkpoint the whole run's history, so its plots show every epoch."""
    best = load_checkpoint(best_path)
    best.history, best.wall_time_s, best.epoch = state.history, state.wall_time_s, state.epoch
    save_checkpoint(best, best_path)


def main(argv: list[str] | None = None) -> Checkpoint:
    args = parse_args(argv)
    args.command = shlex.join(["python", "training/train.py", *(sys.argv[1:] if argv is None else argv)])
    # The same seed trains different weights on another CPU or library version: say where this ran.
    args.trained_on = cpu_description() | {"torch": str(torch.__version__)}
    args.augmentation = asdict(AugmentConfig().scaled(args.augment_strength)) if args.augment else None
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(args.seed)

    mnist = load_mnist(resolve_data_dir(args.data_dir), val_size=args.val_size)
    train, val = mnist.train, mnist.val
    if args.dry_run:
        args.epochs, train, val = min(args.epochs, 2), train.head(512), val.head(256)
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    outliers = None
    if args.outlier_weight > 0:
        from training.outliers import outlier_bank

        bank = outlier_bank(min(args.outlier_bank, len(train)), args.seed, train.images)
        outliers = torch.from_numpy(bank).float().div_(255.0)

    model = RowLSTM(ModelConfig())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = make_schedule(optimizer, args, steps_per_epoch)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema_decay)) if args.ema_decay else None
    run_dir = Path(args.checkpoint_dir) / args.name
    state = Checkpoint.fresh(model, args, mnist.checksums)
    if args.resume:
        state = load_checkpoint(Path(args.resume))
        state.restore(model, ema, optimizer, scheduler, generator)
        print(f"resumed from {args.resume} at epoch {state.epoch}")

    started = time.perf_counter() - state.wall_time_s
    for epoch in range(state.epoch + 1, args.epochs + 1):
        metrics = train_one_epoch(model, ema, train, optimizer, scheduler, args, generator, epoch, outliers)
        val_loss, val_acc, _ = evaluate(ema.module if ema is not None else model, val)
        metrics |= {
            "epoch": epoch,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": scheduler.get_last_lr()[0],
        }
        state.record(epoch, metrics, time.perf_counter() - started)
        tqdm.write(
            f"epoch {epoch:2d}/{args.epochs}"
            f"  train loss {metrics['train_loss']:.4f} acc {metrics['train_acc']:.4f}"
            f"  val loss {val_loss:.4f} acc {val_acc:.4f}  ({state.wall_time_s:.0f}s)"
        )
        state.capture(model, ema, optimizer, scheduler, generator)
        if val_acc >= state.best_val_acc:
            state.best_val_acc = val_acc
            save_checkpoint(state, run_dir / "best.pt", best=True)
        save_checkpoint(state, run_dir / "last.pt")
    _record_full_history(run_dir / "best.pt", state)
    print(f"training done in {state.wall_time_s:.0f}s; best val acc {state.best_val_acc:.4f}")
    if not args.no_export:
        from training.export import export_checkpoint

        export_checkpoint(run_dir / "best.pt", Path(args.output_dir), args.name, args.version, mnist.test)
    return state


if __name__ == "__main__":
    main()
