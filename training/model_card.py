"""The model card: a README for a model version and for the repository, made from sidecars."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _measured_on(metrics: dict[str, Any]) -> str:
    """Where the figures were measured: another CPU may classify a few borderline images differently."""
    where = metrics.get("measured_on")
    if not where:
        return ""
    return (
        f" on {where['cpu']} with onnxruntime {where['onnxruntime']} (a CPU with other instruction sets "
        "may differ by a few images, the int8 model most)"
    )


RECIPE_FILE = "recipe.json"  # training/sweep.py's sweep.json, copied beside a model trained by that recipe


def render_recipe(recipe: dict[str, Any] | None, seed: int) -> str:
    """The recipe's accuracy over seeds, of which this model is one draw; empty without a sweep."""
    if not recipe:
        return ""
    s, m = recipe["summary"]["test_accuracy_fp32"], recipe["machine"]
    wall = recipe["summary"]["run_wall_s"]
    times = f"{wall['min']:.0f}-{wall['max']:.0f} s"
    flags = " ".join(m["isa_flags"] or []) or "unknown instruction sets"
    return f"""
**The recipe, not one seed:** the same command trains different weights on another CPU, so the figure
to expect from retraining is the spread over seeds. `python training/sweep.py` ran `{recipe["recipe"]}`
with seeds {", ".join(str(x) for x in recipe["seeds"])} on {m["cpu"]} ({flags}): MNIST test accuracy
median **{100 * s["median"]:.2f}%**, min {100 * s["min"]:.2f}%, max {100 * s["max"]:.2f}%, {times}
per run. This model is seed {seed}, one draw from it.
"""


def render_card(
    fp32: dict[str, Any], int8: dict[str, Any], image_prefix: str = "", recipe: dict[str, Any] | None = None
) -> str:
    """Markdown describing a trained version: accuracy, the recipe's spread, provenance, curves and
    confusion matrix."""
    m, t = fp32["metrics"], fp32["training"]
    per_class = " | ".join(f"{100 * a:.2f}" for a in m["test_per_class_accuracy"])
    return f"""# {fp32["name"]} v{fp32["version"]}

A row-wise LSTM (28 time steps of 28 pixels, one LSTM layer of {t["model_config"]["hidden_size"]} units, a
linear layer on the last step) that classifies 28x28 digits, exported to ONNX (opset {fp32["opset"]}).

| model | test accuracy | size | notes |
| --- | --- | --- | --- |
| `{fp32["name"]}` v{fp32["version"]} | **{100 * m["test_accuracy"]:.2f}%** | \
{fp32["size_bytes"] // 1024} KiB | fp32 |
| `{int8["name"]}` v{int8["version"]} | {100 * int8["metrics"]["test_accuracy"]:.2f}% | \
{int8["size_bytes"] // 1024} KiB | dynamic int8; agrees with fp32 on \
{100 * int8["metrics"]["agreement_with_fp32"]:.2f}% of the test set |

Accuracy is on the 10,000 MNIST test images, computed with onnxruntime at export{_measured_on(m)}. The
kept epoch was chosen on a validation split held out of the training set (validation accuracy
{100 * m["val_accuracy"]:.2f}%); the test set was used only for this report.
{render_recipe(recipe, t["args"]["seed"])}
Per-class test accuracy (%):

| 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| {per_class} |

**Input contract:** `float32[N, 28, 28]`, {fp32["preprocessing"]["scaling"]}, \
{fp32["preprocessing"]["polarity"]}, digit scaled to {fp32["preprocessing"]["digit_box_px"]} px and \
{fp32["preprocessing"]["centering"]}. Output: `{fp32["outputs"][0]["name"]}` `[N, 10]`.

**Provenance:** `{t["command"]}`, {t["epochs_run"]} epochs (kept epoch {t["best_epoch"]}),
{t["wall_time_s"]:.0f} s of training, git commit `{t["git_commit"]}`, created {fp32["created_at"]}.
ONNX sha256 `{fp32["sha256"]}`.

**Limits:** trained on MNIST only (centred handwritten digits, 1990s US census and school writing). Real
photos depend on the service's preprocessing; printed digits in unusual fonts and digits touching other
marks are hard. It reads one digit: a number must be split into digits first (the service's `POST /read`).

## Training curves

Training error is measured on augmented batches, so it sits above the validation error.

![training curves]({image_prefix}curves.png)

## Confusion matrix (test set)

![confusion matrix]({image_prefix}confusion.png)
"""


def _recipe(fp32_dir: Path) -> dict[str, Any] | None:
    path = fp32_dir / RECIPE_FILE
    recipe: dict[str, Any] | None = json.loads(path.read_text()) if path.exists() else None
    return recipe


def _sidecars(fp32_dir: Path, int8_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    def read(directory: Path) -> dict[str, Any]:
        sidecar: dict[str, Any] = json.loads((directory / "model.json").read_text())
        return sidecar

    return read(fp32_dir), read(int8_dir)


def write_card(fp32_dir: Path, int8_dir: Path) -> None:
    """The version's own README.md, beside its model."""
    (fp32_dir / "README.md").write_text(render_card(*_sidecars(fp32_dir, int8_dir), recipe=_recipe(fp32_dir)))


def write_repository_readme(repo: Path, fp32_dir: Path, int8_dir: Path) -> None:
    """The repository's README.md: what the layout is, and the card of the newest export."""
    fp32, int8 = _sidecars(fp32_dir, int8_dir)
    intro = (
        "# Model repository\n\nTriton-style layout: `<name>/<version>/model.onnx` with its sidecar "
        "`model.json`. The service serves the highest version of each model unless a version is pinned, "
        "and hot-reloads new versions that `python training/train.py` writes here (it never overwrites "
        f"one). The newest export, `{fp32['name']}/{fp32['version']}`, follows.\n\n"
    )
    prefix = f"{fp32['name']}/{fp32['version']}/"
    card = render_card(fp32, int8, prefix, _recipe(fp32_dir)).replace("# ", "## ", 1)
    (repo / "README.md").write_text(intro + card.replace("\n## ", "\n### "))


def main(argv: list[str] | None = None) -> None:
    """Render the cards again, e.g. after copying a sweep's report in as ``recipe.json``."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("fp32_dir", type=Path, help="e.g. models/mnist-lstm/3")
    p.add_argument("int8_dir", type=Path, help="e.g. models/mnist-lstm-int8/3")
    p.add_argument("--repository", type=Path, default=None, help="also rewrite this repository's README.md")
    args = p.parse_args(argv)
    write_card(args.fp32_dir, args.int8_dir)
    if args.repository is not None:
        write_repository_readme(args.repository, args.fp32_dir, args.int8_dir)


if __name__ == "__main__":
    main()
