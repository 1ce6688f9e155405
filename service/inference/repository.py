"""The model repository: every served model and version, with zero-downtime reload.

Layout on disk: ``<root>/<name>/<version>/model.onnx`` + ``model.json``.
Version policy: ``latest`` keeps the newest version of each model loaded;
``all`` loads every version. Either way a model *serves* its newest loaded
version, unless the default model's version is pinned.

A reload (polling or the management endpoint) loads and validates new
versions first, then swaps them in by replacing one dict entry; requests that
already hold the old version finish on its session while it drains.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from service.errors import ModelLoadError, ModelNotFound, NotReady
from service.inference.batching import BatchObserver
from service.inference.runtime import OrtOptions
from service.inference.versions import BatchPolicy, LoadedModel, load_version

log = logging.getLogger(__name__)


class RepositoryEvents(Protocol):
    """Told about each version loaded, rejected or retired (metrics implement this)."""

    def on_loaded(self, name: str, version: int, provider: str) -> None: ...

    def on_load_failed(self, name: str) -> None: ...

    def on_retired(self, name: str, version: int) -> None: ...


@dataclass
class ReloadReport:
    loaded: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


class ModelRepository:
    def __init__(
        self,
        root: Path,
        default_model: str,
        options: OrtOptions,
        policy: BatchPolicy,
        version_policy: str = "latest",
        pinned_version: int | None = None,
        observer: BatchObserver | None = None,
        events: RepositoryEvents | None = None,
    ) -> None:
        self.root, self.default_model = root, default_model
        self._options, self._policy, self._observer = options, policy, observer
        self._version_policy, self._pinned = version_policy, pinned_version
        self._models: dict[str, dict[int, LoadedModel]] = {}
        self._rejected: set[tuple[Path, float, float]] = (
            set()
        )  # bad version dirs, not retried until they change
        self._lock = asyncio.Lock()
        self._events = events

    # --- lookup -----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted(self._models)

    def versions(self, name: str) -> list[int]:
        return sorted(self._versions_of(name))

    def get(self, name: str | None = None, version: int | None = None) -> LoadedModel:
        """The served version of ``name`` (default model if None), or exactly ``version``."""
        name = name or self.default_model
        versions = self._versions_of(name)
        if version is None:
            version = self._served_version(name, versions)
        if version not in versions:
            raise ModelNotFound(f"model {name} has no loaded version {version}")
        return versions[version]

    def ready(self) -> bool:
        return self.default_model in self._models and bool(self._models[self.default_model])

    async def classify(
        self,
        images: np.ndarray,
        name: str | None,
        version: int | None,
        deadline_s: float | None,
        label: str = "",
    ) -> tuple[LoadedModel, np.ndarray]:
        """Classify on the requested version; if it was retired meanwhile, on its successor.

        ``label`` goes to the batcher's observer with the request (the caller's protocol)."""
        for _ in range(3):
            model = self.get(name, version)
            try:
                return model, await model.classify(images, deadline_s, label)
            except NotReady:
                if not model.retired or version is not None:
                    raise
        raise NotReady("the model is being replaced; retry")

    def _versions_of(self, name: str) -> dict[int, LoadedModel]:
        if name not in self._models:
            raise ModelNotFound(f"no model named {name!r}; loaded: {', '.join(self.names()) or 'none'}")
        return self._models[name]

    def _served_version(self, name: str, versions: dict[int, LoadedModel]) -> int:
        if name == self.default_model and self._pinned is not None:
            return self._pinned
        if not versions:
            raise NotReady(f"model {name} has no loaded version")
        return max(versions)

    # --- loading and reloading --------------------------------------------------------------------

    def wanted(self) -> dict[str, list[int]]:
        """Per model, the versions on disk the policy may load, in the order to try them.

        ``all``: every version. ``latest``: newest first; reload serves the first that loads, so a
        bad newest version falls back to the newest good one. A pinned default model: the pin only.
        """
        wanted: dict[str, list[int]] = {}
        for model_dir in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            on_disk = sorted(int(v.name) for v in model_dir.iterdir() if v.is_dir() and v.name.isdigit())
            if not on_disk:
                continue
            if model_dir.name == self.default_model and self._pinned is not None:
                wanted[model_dir.name] = [self._pinned]
            else:
                wanted[model_dir.name] = on_disk if self._version_policy == "all" else on_disk[::-1]
        return wanted

    async def reload(self) -> ReloadReport:
        """Load what the policy wants and is not loaded, then retire what it no longer needs."""
        async with self._lock:
            report = ReloadReport()
            for name, versions in self.wanted().items():
                latest_only = self._version_policy == "latest"
                for version in versions:
                    if version in self._models.get(name, {}):
                        if latest_only:
                            break  # everything newer was tried and rejected
                    elif await self._load_one(name, version, report) and latest_only:
                        break
                await self._retire_unneeded(name, set(versions), report)
            return report

    async def _retire_unneeded(self, name: str, on_disk: set[int], report: ReloadReport) -> None:
        """Retire versions the policy no longer serves, but never a model's last loaded version."""
        loaded = self._models.get(name, {})
        keep = (on_disk if self._version_policy == "all" else set()) | {max(loaded, default=0)}
        for version in [v for v in loaded if v not in keep]:
            await self._retire(name, version, report)

    async def _load_one(self, name: str, version: int, report: ReloadReport) -> bool:
        version_dir = self.root / name / str(version)
        key = f"{name}/{version}"
        signature = _signature(version_dir)
        if signature in self._rejected:
            return False
        try:
            model = await load_version(version_dir, self._options, self._policy, self._observer)
            if model.name != name or model.version != version:
                await model.retire(0)
                raise ModelLoadError(f"{key}: sidecar names it {model.name}/{model.version}")
        except ModelLoadError as exc:
            self._rejected.add(signature)
            report.rejected[key] = exc.message
            log.error("model version rejected", extra={"model": key, "reason": exc.message})
            if self._events is not None:
                self._events.on_load_failed(name)
            return False
        self._models.setdefault(name, {})[version] = model  # the swap: one dict assignment
        report.loaded.append(key)
        log.info("model version loaded", extra={"model": key, "provider": model.runtime.provider})
        if self._events is not None:
            self._events.on_loaded(name, version, model.runtime.provider)
        return True

    async def _retire(self, name: str, version: int, report: ReloadReport) -> None:
        model = self._models[name].pop(version)
        report.retired.append(f"{name}/{version}")
        if self._events is not None:
            self._events.on_retired(name, version)
        log.info("model version retired", extra={"model": f"{name}/{version}"})
        await model.retire()

    async def poll(self, interval_s: float) -> None:
        """Reload every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reload()
            except Exception:  # a failed scan must never stop polling
                log.exception("model repository poll failed")

    async def close(self) -> None:
        async with self._lock:
            for loaded in self._models.values():
                await asyncio.gather(*(m.retire() for m in loaded.values()))
            self._models.clear()


def _signature(version_dir: Path) -> tuple[Path, float, float]:
    """A rejected version is retried only once its files change."""
    stamps = [p.stat().st_mtime for p in version_dir.glob("*") if p.is_file()]
    return version_dir, max(stamps, default=0.0), float(len(stamps))
