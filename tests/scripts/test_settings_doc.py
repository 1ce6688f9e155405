"""scripts/settings_doc.py: docs/configuration.md says exactly what the settings class holds."""

from __future__ import annotations

from scripts import settings_doc
from service.config import Settings


def test_the_committed_page_is_current() -> None:
    assert settings_doc.PAGE.read_text() == settings_doc.render(), (
        "docs/configuration.md is stale: run python scripts/settings_doc.py"
    )


def test_every_setting_has_a_row_with_its_docstring() -> None:
    page = settings_doc.render()
    for name, field in Settings.model_fields.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `DIGITS_{name.upper()}` |"))
        assert field.description and field.description.split()[0] in row, f"{name} has no meaning"


def test_check_mode_fails_on_a_stale_page(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration\n")
    monkeypatch.setattr(settings_doc, "PAGE", stale)
    assert settings_doc.main(["--check"]) == 1
    settings_doc.main([])
    assert settings_doc.main(["--check"]) == 0
