"""Self-describing training checkpoints.

A checkpoint holds everything export and resume need: the model config and
weights, the per-epoch metrics, the training arguments and the checksums of
the dataset files it was trained on, plus optimizer, scheduler and RNG state.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from training.model import ModelConfig, RowLSTM


@dataclass
class Checkpoint:
    model_config: dict[str, int]
    args: dict[str, Any]
    dataset_checksums: dict[str, str]
    history: list[dict[str, float]] = field(default_factory=list)
    epoch: int = 0
    wall_time_s: float = 0.0
    best_val_acc: float = -1.0
    best_epoch: int = 0
    model_state: dict[str, Any] = field(default_factory=dict)  # the weights to export (EMA if on)
    train_state: dict[str, Any] = field(default_factory=dict)  # the raw weights, to resume
    ema_state: dict[str, Any] = field(default_factory=dict)
    optimizer_state: dict[str, Any] = field(default_factory=dict)
    scheduler_state: dict[str, Any] = field(default_factory=dict)
    rng_state: torch.Tensor | None = None

    @classmethod
    def fresh(cls, model: RowLSTM, args: argparse.Namespace, checksums: dict[str, str]) -> Checkpoint:
        return cls(model.config.to_dict(), vars(args).copy(), dict(checksums))

    def record(self, epoch: int, metrics: dict[str, float], wall_time_s: float) -> None:
        self.epoch, self.wall_time_s = epoch, wall_time_s
        self.history.append(dict(metrics))

    def capture(self, model, ema, optimizer, scheduler, generator: torch.Generator) -> None:
        """Copy the current training state into the checkpoint."""
        self.train_state = _copy(model.state_dict())
        self.model_state = _copy(ema.module.state_dict()) if ema is not None else self.train_state
        self.ema_state = _copy(ema.state_dict()) if ema is not None else {}
        self.optimizer_state = optimizer.state_dict()
        self.scheduler_state = scheduler.state_dict()
        self.rng_state = generator.get_state()

    def restore(self, model, ema, optimizer, scheduler, generator: torch.Generator) -> None:
        """Load the saved training state into fresh objects, to resume."""
        model.load_state_dict(self.train_state)
        if ema is not None:
            ema.load_state_dict(self.ema_state)
        optimizer.load_state_dict(self.optimizer_state)
        scheduler.load_state_dict(self.scheduler_state)
        if self.rng_state is not None:
            generator.set_state(self.rng_state)

    def build_model(self) -> RowLSTM:
        """The model with the exported weights (the best epoch's, EMA when enabled)."""
        model = RowLSTM(ModelConfig(**self.model_config))
        model.load_state_dict(self.model_state)
        return model.eval()

    @property
    def best_metrics(self) -> dict[str, float]:
        return next((h for h in self.history if h["epoch"] == self.best_epoch), {})


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in state.items()}


def save_checkpoint(state: Checkpoint, path: Path, best: bool = False) -> None:
    """Write atomically; ``best=True`` marks the current epoch as the best one."""
    if best:
        state.best_epoch = state.epoch
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(asdict(state), tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> Checkpoint:
    data = torch.load(path, map_location="cpu", weights_only=True)
    return Checkpoint(**data)
