"""The application as a whole: health, OpenAPI, authentication on every route."""

from __future__ import annotations

import re

from fastapi import FastAPI

from shared.testing import eventually
from tests.registry.harness import Api, api_operations


async def test_health(api: Api) -> None:
    assert (await api.get("/healthz", as_=None)).json() == {"status": "ok", "service": "registry"}

    # NATS is connected in the background (a service starts without it), so readiness may lag.
    async def ready() -> bool:
        r = await api.get("/readyz", as_=None)
        return r.status_code == 200 and r.json()["checks"] == {"database": True, "nats": True}

    await eventually(ready, timeout=30)


async def test_every_api_route_needs_a_token(app_api: tuple[FastAPI, Api]) -> None:
    app, api = app_api
    operations = api_operations(app)
    assert len(operations) > 50
    zero = "00000000-0000-0000-0000-000000000000"
    values = {"governorate_code": "IQ-AR", "currency": "EUR", "name": "service.json"}
    for method, template in operations:
        path = re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), zero), template)
        r = await api.request(method, path, as_=None, json={})
        assert r.status_code == 401, (method, template, r.status_code)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_openapi_documents_examples_and_conditional_headers(api: Api) -> None:
    spec = (await api.get("/openapi.json", as_=None)).json()
    schemas = spec["components"]["schemas"]
    for name in (
        "OrganizationCreate",
        "ServiceCreate",
        "ProgrammeCreate",
        "RuleIn",
        "BenefitIn",
        "ReturneeProfile",
        "TermCreate",
        "LocationCreate",
        "ServiceHit",
        "ServiceOut",
    ):
        assert schemas[name].get("examples"), name
    patch = spec["paths"]["/v1/services/{service_id}"]["patch"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert {"412", "428", "422"} <= set(patch["responses"])
    assert spec["paths"]["/v1/entitlements"]["post"]["description"].startswith("Lists every active programme")
