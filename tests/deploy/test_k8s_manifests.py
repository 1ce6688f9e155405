"""deploy/k8s: every manifest validates against the Kubernetes schemas and is wired consistently."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The oldest Kubernetes the manifests target (preStop `sleep` needs 1.30), and the newest schema known.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# InferenceService fields of KServe's own, next to the inlined Pod spec of a custom predictor.
KSERVE_COMPONENT_FIELDS = {"minReplicas", "maxReplicas", "scaleMetric", "scaleTarget", "containerConcurrency",
                           "timeout", "canaryTrafficPercent", "logger", "batcher", "labels", "annotations",
                           "deploymentStrategy", "autoScaling"}  # fmt: skip


def _load(name: str) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    assert len(docs) == 1, f"{name} should hold exactly one object, holds {len(docs)}"
    return docs[0]


def _image_uid() -> int:
    match = re.search(r"^ARG APP_UID=(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert match, "Dockerfile has no 'ARG APP_UID=<uid>'"
    return int(match.group(1))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"])
def test_manifest_is_valid(name: str, version: str) -> None:
    try:
        kubernetes_validate.validate(_load(name), version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{name} is invalid for Kubernetes {version}: {exc.message} at {list(exc.path)}")


def test_deployment_runs_non_root_read_only_with_probes() -> None:
    pod = _load("deployment.yaml")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _image_uid(), "runAsUser must be the image's user"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    tmp = {m["name"] for m in container["volumeMounts"] if m["mountPath"] == "/tmp"}
    assert tmp and all("emptyDir" in v for v in pod["volumes"] if v["name"] in tmp), (
        "/tmp must be an emptyDir"
    )
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", 8000), ("grpc", 8001)]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env.get("DIGITS_GRPC_PORT") == "8001", "the gRPC port the container declares"
    assert {"requests", "limits"} <= container["resources"].keys(), "requests and limits are both needed"


def test_service_hpa_and_pdb_point_at_the_deployment() -> None:
    deployment = _load("deployment.yaml")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service, pdb, hpa = _load("service.yaml"), _load("pdb.yaml"), _load("hpa.yaml")
    assert service["spec"]["selector"].items() <= pod_labels.items(), "the Service selects no pod"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), "the PDB selects no pod"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], "the PDB would block every drain"
    container_ports = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports, "a port targets nothing"
    (grpc,) = [p for p in service["spec"]["ports"] if p["name"] == "grpc"]
    assert grpc["appProtocol"] == "kubernetes.io/h2c", "gRPC is HTTP/2 without TLS"


def test_inference_service_is_a_custom_v2_predictor() -> None:
    isvc = _load("inferenceservice.yaml")
    # kubernetes-validate knows only built-in kinds; a KServe schema, if it ever ships one, is used.
    with contextlib.suppress(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(isvc, VERSIONS[-1], strict=True)
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1" and isvc["kind"] == "InferenceService"
    assert isvc["metadata"]["name"]
    predictor = isvc["spec"]["predictor"]
    (container,) = predictor["containers"]
    assert container["name"] == "kserve-container", "KServe finds a custom predictor by this name"
    # Two ports need RawDeployment: Knative (KServe's default Serverless mode) allows one per container.
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", 8000), ("h2c", 8001)]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env.get("PROTOCOL") == "v2", "a custom predictor declares the Open Inference Protocol via PROTOCOL"
    assert env.get("DIGITS_GRPC_PORT") == "8001"
    assert (
        container["image"] == _load("deployment.yaml")["spec"]["template"]["spec"]["containers"][0]["image"]
    )


def test_inference_service_pod_spec_is_a_valid_pod_spec() -> None:
    predictor = _load("inferenceservice.yaml")["spec"]["predictor"]
    pod_spec = {k: v for k, v in predictor.items() if k not in KSERVE_COMPONENT_FIELDS}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "predictor"}, "spec": pod_spec}
    try:
        kubernetes_validate.validate(pod, VERSIONS[-1], strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"the predictor's pod spec is invalid: {exc.message} at {list(exc.path)}")


def test_kustomization_lists_existing_files() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    missing = [r for r in kustomization["resources"] if not (K8S / r).is_file()]
    assert not missing, f"kustomization.yaml lists missing files: {missing}"
    listed = {*kustomization["resources"], "kustomization.yaml", "inferenceservice.yaml"}
    unlisted = sorted(p.name for p in K8S.glob("*.yaml") if p.name not in listed)
    assert not unlisted, f"manifests neither in kustomization.yaml nor known to be separate: {unlisted}"
