"""scripts/audit.py's verdict on pip-audit reports: fail on known vulnerabilities, warn when offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


def load_audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


audit = load_audit()
CLEAN = {"name": "fastapi", "version": "0.165.0", "vulns": []}
SKIPPED = {"name": "torch", "version": "2.13.0", "skip_reason": "Dependency not found on PyPI"}


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    vuln = {"id": "PYSEC-2024-1", "fix_versions": ["3.1.4"]}
    report = {"dependencies": [CLEAN, {"name": "jinja2", "version": "3.1.2", "vulns": [vuln]}]}
    status, lines = audit.verdict(report)
    assert status == 1, "a vulnerable pin must fail the build"
    assert "jinja2==3.1.2: PYSEC-2024-1 (fixed in 3.1.4)" in lines


def test_nothing_audited_is_a_warning_not_a_pass() -> None:
    status, lines = audit.verdict({"dependencies": [SKIPPED, {**SKIPPED, "name": "numpy"}]})
    assert status == 0, "an unreachable service must not fail the build"
    assert lines[0].startswith("WARNING") and "none of the 2 pins" in lines[0]


def test_clean_audit_says_what_was_not_audited() -> None:
    status, lines = audit.verdict({"dependencies": [CLEAN, SKIPPED]})
    assert status == 0
    assert lines == [
        "pip-audit: no known vulnerabilities in 1 pinned packages; 1 could not be audited: torch"
    ]
