"""The Kubernetes manifests: rendered per overlay, validated against the Kubernetes schemas.

Built-in kinds are validated with kubernetes-validate (strict: unknown fields fail) for a pinned
Kubernetes version. CloudNativePG's ``Cluster``/``ScheduledBackup`` and the NATS Helm values are
not in those schemas and no package here ships their CRDs, so their shape is checked against the
subset of the CloudNativePG API (postgresql.cnpg.io/v1) and of the NATS chart's values that
Hawkari relies on, written down below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from hawkari import stack
from hawkari.configdoc import all_variables
from tests.deploy.kustomize import build

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ["development", "production"]
KUBERNETES_VERSION = "1.33.0"
SERVICES = {"portal": 8000, "registry": 8001, "referrals": 8002, "notifications": 8003, "coordination": 8004}
CRD_KINDS = {"Cluster", "ScheduledBackup"}


def rendered(overlay: str) -> list[dict[str, Any]]:
    return build(K8S / "overlays" / overlay)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return rendered(request.param)


def test_every_builtin_object_is_valid_for_the_pinned_kubernetes(objects: list[dict[str, Any]]) -> None:
    checked = 0
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 40


def test_an_invalid_object_would_be_caught() -> None:
    deployment = of_kind(rendered("production"), "Deployment")["referrals"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_full_set(objects: list[dict[str, Any]], service: str) -> None:
    deployment = of_kind(objects, "Deployment")[service]
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": SERVICES[service]}]
    assert f"services.{service}.app:create_app" in container["command"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for c in [*spec["containers"], *spec["initContainers"]]:
        assert {"cpu", "memory"} <= set(c["resources"]["requests"]), c["name"]
        assert "memory" in c["resources"]["limits"], c["name"]
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", c["image"]), f"pinned image, not {c['image']}"
    assert spec["securityContext"]["runAsNonRoot"] is True
    # Migrations before the service starts, with the service's own database credentials.
    assert spec["initContainers"][0]["command"] == ["hawkari", "db", "upgrade", service]

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    svc = of_kind(objects, "Service")[service]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert svc["spec"]["ports"][0]["port"] == SERVICES[service]
    hpa = of_kind(objects, "HorizontalPodAutoscaler")[service]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    pdb = of_kind(objects, "PodDisruptionBudget")[service]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service in of_kind(objects, "NetworkPolicy")
    assert f"{service}-db" in of_kind(objects, "Cluster")


def test_secrets_are_referenced_never_embedded(objects: list[dict[str, Any]]) -> None:
    assert not of_kind(objects, "Secret")
    clusters = of_kind(objects, "Cluster")
    secret_vars = {v.env for found in all_variables().values() for v in found if v.secret}
    for name, deployment in of_kind(objects, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        for container in [*spec["containers"], *spec["initContainers"]]:
            for env in container.get("env", []):
                assert env["name"] not in secret_vars or "valueFrom" in env, env["name"]
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    # The service's own secrets, or the credentials CloudNativePG made for its database.
                    assert ref["name"] in {f"{name}-secrets", f"{name}-db-app"}
                    if ref["name"].endswith("-db-app"):
                        assert ref["name"].removesuffix("-app") in clusters
    for cm in of_kind(objects, "ConfigMap").values():
        assert not set(cm.get("data", {})) & secret_vars


def test_ingress_routes_to_existing_services(objects: list[dict[str, Any]]) -> None:
    services = of_kind(objects, "Service")
    ingress = of_kind(objects, "Ingress")["hawkari"]
    hosts = set()
    for rule in ingress["spec"]["rules"]:
        hosts.add(rule["host"])
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["port"]["name"] in {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, "every host has TLS"
    assert any(
        p["backend"]["service"]["name"] == "portal"
        for r in ingress["spec"]["rules"]
        for p in r["http"]["paths"]
    )


def test_production_refuses_placeholders_and_keeps_three_database_instances() -> None:
    objects = rendered("production")
    wiring = of_kind(objects, "ConfigMap")["hawkari-wiring"]["data"]
    for service in SERVICES:
        assert wiring[f"HAWKARI_{service.upper()}_ENVIRONMENT"] == "production"
        assert wiring[f"HAWKARI_{service.upper()}_OIDC_ISSUER"].startswith("https://")
    assert all(c["spec"]["instances"] == 3 for c in of_kind(objects, "Cluster").values())
    assert all(o["metadata"]["namespace"] == "hawkari" for o in objects)


# --- CloudNativePG: the subset of postgresql.cnpg.io/v1 that Hawkari uses --------------------------

SECRET_KEY_SELECTOR = {
    "type": "object",
    "required": ["name", "key"],
    "properties": {"name": {"type": "string"}, "key": {"type": "string"}},
    "additionalProperties": False,
}
CNPG_CLUSTER = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"},
        "spec": {
            "type": "object",
            "required": ["instances", "storage", "bootstrap", "backup"],
            "properties": {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string", "pattern": r"^[\w./-]+:[\w.-]+$"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "storage": {"type": "object", "required": ["size"]},
                "walStorage": {"type": "object", "required": ["size"]},
                "enableSuperuserAccess": {"type": "boolean"},
                "resources": {"type": "object"},
                "bootstrap": {
                    "type": "object",
                    "required": ["initdb"],
                    "properties": {
                        "initdb": {
                            "type": "object",
                            "required": ["database", "owner"],
                            "properties": {"database": {"type": "string"}, "owner": {"type": "string"}},
                        }
                    },
                },
                "backup": {
                    "type": "object",
                    "required": ["barmanObjectStore", "retentionPolicy"],
                    "properties": {
                        "retentionPolicy": {"type": "string", "pattern": r"^[1-9][0-9]*[dwm]$"},
                        "barmanObjectStore": {
                            "type": "object",
                            "required": ["destinationPath", "s3Credentials"],
                            "properties": {
                                "destinationPath": {"type": "string", "pattern": r"^s3://"},
                                "s3Credentials": {
                                    "type": "object",
                                    "required": ["accessKeyId", "secretAccessKey"],
                                    "properties": {
                                        "accessKeyId": SECRET_KEY_SELECTOR,
                                        "secretAccessKey": SECRET_KEY_SELECTOR,
                                    },
                                },
                                "wal": {"type": "object"},
                                "data": {"type": "object"},
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
    },
}
CNPG_SCHEDULED_BACKUP = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"},
        "spec": {
            "type": "object",
            "required": ["schedule", "cluster"],
            "properties": {
                # CloudNativePG's cron has six fields: seconds first.
                "schedule": {"type": "string", "pattern": r"^(\S+\s+){5}\S+$"},
                "cluster": {"type": "object", "required": ["name"]},
                "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
                "immediate": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
    },
}


def test_cloudnativepg_clusters_have_backups(objects: list[dict[str, Any]]) -> None:
    clusters = of_kind(objects, "Cluster")
    backups = of_kind(objects, "ScheduledBackup")
    with_db = {s.name for s in stack.ALL_SERVICES if s.migrations.exists()}
    assert {f"{s}-db" for s in with_db} <= set(clusters)
    for name, cluster in clusters.items():
        jsonschema.validate(cluster, CNPG_CLUSTER)
        service = name.removesuffix("-db")
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": service, "owner": service}
        assert cluster["spec"]["enableSuperuserAccess"] is False
        assert any(b["spec"]["cluster"]["name"] == name for b in backups.values()), f"{name} has no schedule"
    for backup in backups.values():
        jsonschema.validate(backup, CNPG_SCHEDULED_BACKUP)
        assert backup["spec"]["cluster"]["name"] in clusters


def test_the_database_url_names_the_cluster_and_database() -> None:
    for name, deployment in of_kind(rendered("production"), "Deployment").items():
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        url = env[f"HAWKARI_{name.upper()}_DATABASE_URL"]["value"]
        assert url == f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@{name}-db-rw:5432/{name}"
        names = list(env)
        # $(VAR) expands only variables defined earlier in the list.
        assert names.index("DB_USER") < names.index(f"HAWKARI_{name.upper()}_DATABASE_URL")


# --- NATS through the official Helm chart -----------------------------------------------------------

NATS_VALUES = {
    "type": "object",
    "required": ["config", "container"],
    "properties": {
        "config": {
            "type": "object",
            "required": ["cluster", "jetstream"],
            "properties": {
                "cluster": {
                    "type": "object",
                    "required": ["enabled", "replicas"],
                    "properties": {"enabled": {"const": True}, "replicas": {"const": 3}},
                },
                "jetstream": {
                    "type": "object",
                    "required": ["enabled", "fileStore"],
                    "properties": {
                        "enabled": {"const": True},
                        "fileStore": {
                            "type": "object",
                            "required": ["enabled", "pvc"],
                            "properties": {
                                "enabled": {"const": True},
                                "pvc": {
                                    "type": "object",
                                    "required": ["enabled", "size"],
                                    "properties": {"enabled": {"const": True}, "size": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
        "container": {
            "type": "object",
            "properties": {
                "image": {
                    "type": "object",
                    "required": ["repository", "tag"],
                    "properties": {"tag": {"type": "string", "pattern": r"^\d+\.\d+\.\d+"}},
                }
            },
        },
    },
}


def test_nats_is_a_three_node_jetstream_cluster_from_the_official_chart() -> None:
    values = yaml.safe_load((K8S / "nats" / "values.yaml").read_text())
    jsonschema.validate(values, NATS_VALUES)
    assert values["fullnameOverride"] == "nats", "the services connect to nats://nats:4222"
    chart = yaml.safe_load((K8S / "nats" / "kustomization.yaml").read_text())["helmCharts"][0]
    assert chart["repo"] == "https://nats-io.github.io/k8s/helm/charts/" and chart["name"] == "nats"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"]) and chart["valuesFile"] == "values.yaml"


def test_streams_are_kept_on_every_nats_server() -> None:
    replicas = yaml.safe_load((K8S / "nats" / "values.yaml").read_text())["config"]["cluster"]["replicas"]
    producers = [s for s, found in all_variables().items() if any(v.field == "stream_name" for v in found)]
    assert producers, "the registry and referrals produce streams"
    for overlay in OVERLAYS:
        wiring = of_kind(rendered(overlay), "ConfigMap")["hawkari-wiring"]["data"]
        for service in producers:
            assert wiring[f"HAWKARI_{service.upper()}_STREAM_REPLICAS"] == str(replicas)
            assert wiring[f"HAWKARI_{service.upper()}_NATS_URL"] == "nats://nats:4222"
