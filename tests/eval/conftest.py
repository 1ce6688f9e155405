"""Fixtures of the eval tests: where the real development set lives (never required)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_DEV_SET = ROOT.parent / "shared" / "eval" / "realworld-dev"


@pytest.fixture(scope="session")
def realworld_dev() -> Path:
    """$REALWORLD_DEV_DIR, else the shared copy beside the checkout; skip when neither exists."""
    env = os.environ.get("REALWORLD_DEV_DIR")
    path = Path(env) if env else SHARED_DEV_SET
    if not (path / "labels.csv").is_file():
        pytest.skip(
            f"the real development set is not at {path}; set REALWORLD_DEV_DIR to a folder with "
            "labels.csv (path,label,source,style) and its images"
        )
    return path
