"""Training curves and confusion-matrix pictures, saved as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def plot_curves(history: list[dict[str, float]], path: Path, best_epoch: int | None = None) -> None:
    """Loss and accuracy per epoch, training and validation side by side; the kept epoch marked."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train (augmented)")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], "o-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    ax_acc.plot(epochs, [100 * (1 - h["train_acc"]) for h in history], "o-", label="train (augmented)")
    ax_acc.plot(epochs, [100 * (1 - h["val_acc"]) for h in history], "o-", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="error rate (%) = 100 - accuracy", title="Error rate", yscale="log")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
        if best_epoch:
            ax.axvline(best_epoch, color="grey", linestyle=":", label=f"kept (epoch {best_epoch})")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(confusion: np.ndarray, path: Path, title: str) -> None:
    """A 10x10 confusion matrix with counts; the diagonal is shown separately."""
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    off_diag = confusion.astype(float).copy()
    np.fill_diagonal(off_diag, np.nan)
    image = ax.imshow(off_diag, cmap="Reds")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=7,
                color="black" if i != j else "tab:green",
            )
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(image, ax=ax, label="errors")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
