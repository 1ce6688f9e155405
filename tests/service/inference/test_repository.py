"""ModelRepository in-process, with real onnxruntime: what a reload loads, logs and reports."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from service.inference.repository import ModelRepository
from service.inference.runtime import OrtOptions
from service.inference.versions import BatchPolicy
from tests.live import MODELS


def test_reload_loads_each_model_logs_it_and_serves_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for model_dir in (MODELS / "mnist-lstm", MODELS / "mnist-lstm-int8"):
        shutil.copytree(model_dir, tmp_path / model_dir.name)
    version = max(int(p.name) for p in (MODELS / "mnist-lstm").iterdir() if p.name.isdigit())
    repo = ModelRepository(tmp_path, "mnist-lstm", OrtOptions(provider="cpu"), BatchPolicy())

    async def scenario() -> list[str]:
        report = await repo.reload()
        assert repo.ready() and repo.get().version == version
        assert (await repo.reload()).loaded == [], "a second scan loads nothing new"
        await repo.close()
        return report.loaded

    with caplog.at_level(logging.INFO, logger="service.inference.repository"):
        loaded = asyncio.run(scenario())
    assert sorted(loaded) == [f"mnist-lstm-int8/{version}", f"mnist-lstm/{version}"]
    logged = [r for r in caplog.records if r.getMessage() == "model version loaded"]
    assert len(logged) == 2, "every loaded version is logged"
