"""scripts/settings_doc.py: docs/configuration.md says exactly what the settings class holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from service.config import Settings

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "settings_doc.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


settings_doc = load_script()


def test_the_committed_page_is_current() -> None:
    assert settings_doc.PAGE.read_text() == settings_doc.render(), (
        "docs/configuration.md is stale: run python scripts/settings_doc.py"
    )


def test_every_setting_has_a_row_with_its_docstring() -> None:
    page = settings_doc.render()
    for name, field in Settings.model_fields.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `DIGITS_{name.upper()}` |"))
        assert field.description and field.description.split()[0] in row, f"{name} has no meaning"


def test_check_mode_fails_on_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration\n")
    monkeypatch.setattr(settings_doc, "PAGE", stale)
    assert settings_doc.main(["--check"]) == 1
    settings_doc.main([])
    assert settings_doc.main(["--check"]) == 0
