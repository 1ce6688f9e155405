"""docker-compose.yml and the Dockerfile's stages: what `docker compose up` and each profile run.

compose-smoke (scripts/compose-smoke.sh) builds and runs the default stack for real; these
checks keep the parts it cannot run (profiles, the GPU target) honest without a container engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def _stages() -> list[str]:
    """Stage names in Dockerfile order (an unnamed stage gets its image name)."""
    text = (ROOT / "Dockerfile").read_text()
    return [
        m.group(2) or m.group(1) for m in re.finditer(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    ]


def test_plain_up_starts_only_the_api(services: dict[str, Any]) -> None:
    default = sorted(name for name, svc in services.items() if not svc.get("profiles"))
    assert default == ["api"], f"`docker compose up` without a profile would start {default}"


def test_api_service(services: dict[str, Any]) -> None:
    api = services["api"]
    assert api["ports"] == ["8000:8000", "8001:8001"], "HTTP, and the Open Inference Protocol over gRPC"
    assert api["environment"]["DIGITS_GRPC_PORT"] == "8001"
    assert api["build"]["target"] == "runtime"
    assert api["restart"] == "unless-stopped"
    assert {"cpus", "memory"} <= api["deploy"]["resources"]["limits"].keys()
    assert all(key.startswith("DIGITS_") for key in api["environment"]), "configure through DIGITS_* only"
    assert "/readyz" in api["healthcheck"]["test"][1]


def test_healthchecks_are_cmd_shell(services: dict[str, Any]) -> None:
    # podman's Docker API mangles exec-form checks with spaces (compose-smoke's known limitation).
    forms = {name: svc["healthcheck"]["test"][0] for name, svc in services.items() if "healthcheck" in svc}
    assert forms and set(forms.values()) == {"CMD-SHELL"}, f"healthcheck forms: {forms}"


def test_scale_profile_puts_replicas_behind_nginx(services: dict[str, Any]) -> None:
    scale = {name for name, svc in services.items() if "scale" in svc.get("profiles", [])}
    assert {"replica", "lb", "prometheus"} <= scale
    assert services["replica"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["replica"], "replicas are reached through nginx only"
    lb = services["lb"]
    assert lb["ports"] == ["8080:8080", "8081:8081"], "REST, and gRPC (deploy/nginx.conf's http2 listener)"
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in lb["volumes"]
    assert lb["depends_on"]["replica"]["condition"] == "service_healthy"


def test_train_and_gpu_profiles(services: dict[str, Any]) -> None:
    train, gpu = services["train"], services["api-gpu"]
    assert (train["profiles"], train["build"]["target"]) == (["train"], "train")
    mounts = {volume.split(":")[1] for volume in train["volumes"]}
    assert {"/app/models", "/app/data"} <= mounts
    assert (gpu["profiles"], gpu["build"]["target"]) == (["gpu"], "gpu")
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"] and device["driver"] == "nvidia"
    assert gpu["environment"]["DIGITS_PROVIDER"] == "cuda"
    published = [p.split(":")[0] for svc in services.values() for p in svc.get("ports", [])]
    assert len(published) == len(set(published)), f"two services publish one host port: {published}"


def test_build_targets_exist_and_runtime_needs_no_later_stage(services: dict[str, Any]) -> None:
    stages = _stages()
    targets = {svc["build"]["target"] for svc in services.values() if "build" in svc}
    assert targets <= set(stages), f"compose asks for targets {targets - set(stages)} the Dockerfile lacks"
    # The classic builder builds every stage up to the target: CPU images must not need the CUDA base.
    assert stages.index("runtime") < min(stages.index("train"), stages.index("gpu"))
    assert stages[-1] == "default" and re.search(
        r"^FROM runtime AS default$", (ROOT / "Dockerfile").read_text(), re.M
    )
