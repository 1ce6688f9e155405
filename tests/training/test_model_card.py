"""The model card says what the model is and, with a sweep's report beside it, what the recipe gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from training.model_card import RECIPE_FILE, main

MODELS = Path(__file__).resolve().parents[2] / "models"


def committed_pair(tmp_path: Path) -> tuple[Path, Path]:
    fp32 = max((MODELS / "mnist-lstm").iterdir(), key=lambda p: int(p.name))
    int8 = MODELS / "mnist-lstm-int8" / fp32.name
    copies = tmp_path / "mnist-lstm" / fp32.name, tmp_path / "mnist-lstm-int8" / fp32.name
    for src, dst in zip((fp32, int8), copies, strict=True):
        shutil.copytree(src, dst)
        (dst / RECIPE_FILE).unlink(missing_ok=True)
    return copies


def test_the_card_gives_accuracy_and_provenance_from_the_sidecars(tmp_path: Path) -> None:
    fp32, int8 = committed_pair(tmp_path)
    main([str(fp32), str(int8), "--repository", str(tmp_path)])
    card = (fp32 / "README.md").read_text()
    sidecar = json.loads((fp32 / "model.json").read_text())
    assert f"**{100 * sidecar['metrics']['test_accuracy']:.2f}%**" in card
    assert sidecar["sha256"] in card
    assert "The recipe, not one seed" not in card, "no sweep report, no claim about the recipe"
    assert (tmp_path / "README.md").read_text().startswith("# Model repository")


def test_a_sweep_report_puts_the_recipes_spread_on_the_card(tmp_path: Path) -> None:
    fp32, int8 = committed_pair(tmp_path)
    seed = json.loads((fp32 / "model.json").read_text())["training"]["args"]["seed"]
    report = {
        "recipe": "python training/train.py",
        "seeds": [1, 2, 3],
        "machine": {"cpu": "Some CPU", "isa_flags": ["avx", "avx2"]},
        "summary": {
            "test_accuracy_fp32": {"median": 0.9941, "min": 0.9933, "max": 0.9947},
            "run_wall_s": {"median": 560.0, "min": 540.0, "max": 590.0},
        },
    }
    (fp32 / RECIPE_FILE).write_text(json.dumps(report))
    main([str(fp32), str(int8), "--repository", str(tmp_path)])
    for card in ((fp32 / "README.md").read_text(), (tmp_path / "README.md").read_text()):
        assert "median **99.41%**, min 99.33%, max 99.47%" in card
        assert "Some CPU (avx avx2)" in card
        assert f"This model is seed {seed}, one draw from it." in card
