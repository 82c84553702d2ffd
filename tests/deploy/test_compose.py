"""docker-compose.yml, the Dockerfile and .env.example, checked without a Docker engine.

The compose file is validated against the Compose Specification's JSON Schema (vendored in
deploy/compose/compose-spec.json), then against what Hawkari needs: every service with a
/readyz health check, a start order that waits for health and for the migrations, secrets from
.env only, and Keycloak importing the very realm files the development identity provider serves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from deploy.devidp.settings import DEFAULT_REALM_DIR, IdpSettings
from hawkari import stack
from hawkari.configdoc import all_variables
from shared.settings import is_placeholder

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SERVICES = {"portal": 8000, "registry": 8001, "referrals": 8002, "notifications": 8003, "coordination": 8004}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((REPO / "deploy" / "compose" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(compose)
    broken = dict(compose, services={**compose["services"], "registry": {**compose["services"]["registry"]}})
    broken["services"]["registry"]["depends_on"] = {"nats": {"condition": "when_it_feels_like_it"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_from_the_one_image_with_a_readiness_check(
    compose: dict[str, Any], service: str
) -> None:
    port = SERVICES[service]
    spec = compose["services"][service]
    assert spec["build"] == "." and spec["image"] == compose["services"]["migrate"]["image"]
    assert spec["command"][:3] == ["uvicorn", "--factory", f"services.{service}.app:create_app"]
    assert spec["command"][spec["command"].index("--port") + 1] == str(port)
    assert f"127.0.0.1:{port}:{port}" in spec["ports"]
    check = " ".join(spec["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in check
    assert spec["user"] == "10001:10001" and spec["read_only"] is True
    assert spec["env_file"] == [f"deploy/compose/env/{service}.env"]
    assert (REPO / spec["env_file"][0]).exists()


def test_start_order_waits_for_health_and_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    graph = {name: spec.get("depends_on", {}) for name, spec in services.items()}
    for name, needs in graph.items():
        for dependency, how in needs.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no health check"
    assert graph["migrate"]["postgres"]["condition"] == "service_healthy"
    for service in SERVICES:
        assert graph[service]["migrate"]["condition"] == "service_completed_successfully"
        assert graph[service]["keycloak"]["condition"] == "service_healthy"
    # Producers before consumers, the portal last.
    assert graph["referrals"]["registry"]["condition"] == "service_healthy"
    for consumer in ("notifications", "coordination"):
        assert {"registry", "referrals"} <= set(graph[consumer])
    assert set(SERVICES) - {"portal"} <= set(graph["portal"])

    # No cycle: a topological order exists.
    order: list[str] = []
    pending = dict(graph)
    while pending:
        ready = [n for n, needs in pending.items() if set(needs) <= set(order)]
        assert ready, f"dependency cycle among {sorted(pending)}"
        order += sorted(ready)
        for n in ready:
            del pending[n]


def test_keycloak_imports_the_realm_the_development_idp_serves(compose: dict[str, Any]) -> None:
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"].startswith("quay.io/keycloak/keycloak:")
    assert keycloak["command"][0] == "start" and "--import-realm" in keycloak["command"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in keycloak["volumes"]}
    source = (REPO / mounts["/opt/keycloak/data/import"]).resolve()
    # The idp_url fixture of the tests runs deploy.devidp with its default realm directory.
    assert IdpSettings().realm_dir.resolve() == DEFAULT_REALM_DIR.resolve() == source
    assert sorted(p.name for p in source.glob("*.json")) == ["hawkari-realm.json", "hawkari-users-0.json"]


def test_infrastructure_is_pinned_and_persistent(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, spec in services.items():
        image = spec["image"]
        if image.startswith("${HAWKARI_IMAGE"):
            continue
        assert re.search(r":\d+\.\d+(\.\d+)?(-[\w.]+)?$", image), f"{name}: {image} is not an exact version"
    assert "postgres-data:/var/lib/postgresql" in services["postgres"]["volumes"]
    assert "nats-data:/data" in services["nats"]["volumes"]
    nats_conf = (REPO / "deploy" / "nats" / "nats.conf").read_text()
    assert re.search(r"jetstream\s*\{[^}]*store_dir:\s*/data", nats_conf)
    assert services["otel-collector"]["volumes"] == [
        "./deploy/otel/collector.yaml:/etc/otelcol/collector.yaml:ro"
    ]
    collector = yaml.safe_load((REPO / "deploy" / "otel" / "collector.yaml").read_text())
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    for service in SERVICES:
        env = services[service]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_one_database_per_service_created_by_the_init_script(compose: dict[str, Any]) -> None:
    script = (REPO / "deploy" / "compose" / "postgres" / "create-databases.sh").read_text()
    mounts = compose["services"]["postgres"]["volumes"]
    assert any(
        m.startswith("./deploy/compose/postgres/create-databases.sh:/docker-entrypoint-initdb.d/")
        for m in mounts
    )
    with_db = [s for s in stack.ALL_SERVICES if s.migrations.exists()]
    for spec in with_db:
        assert f"create {spec.name} {spec.database} " in script
        url = compose["services"][spec.name]["environment"][f"{spec.env_prefix}DATABASE_URL"]
        assert url.startswith(f"postgresql+asyncpg://{spec.name}:") and url.endswith(
            f"@postgres:5432/{spec.database}"
        )
    assert 'REVOKE ALL ON DATABASE :"database" FROM PUBLIC' in script


def test_secrets_come_from_env_and_the_example_holds_only_placeholders(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    used = set(INTERPOLATION.findall(text))
    example = env_example()
    assert used <= set(example), f"missing from .env.example: {sorted(used - set(example))}"
    secret_envs = {v.env for found in all_variables().values() for v in found if v.secret}
    for service in SERVICES:
        for name, value in compose["services"][service]["environment"].items():
            if name in secret_envs:
                assert INTERPOLATION.fullmatch(str(value)), f"{name} must come from .env"
    for key, value in example.items():
        if re.search(r"PASSWORD|SECRET|_KEY$", key) and value:
            assert is_placeholder(value), f"{key} in .env.example must be a placeholder"


def test_dockerfile_is_multi_stage_pinned_frozen_and_unprivileged() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert len(stages) >= 2
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", dockerfile, re.MULTILINE)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-[\w-]+(@sha256:[0-9a-f]{64})?", base.group(1))
    assert "uv sync --frozen --no-dev" in dockerfile
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert user and not user[-1].startswith(("0", "root"))
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".hawkari", ".env"} <= set(ignored)
