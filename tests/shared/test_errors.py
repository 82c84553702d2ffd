"""Every error a service can give is RFC 9457 problem+json with a stable type."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.errors import Conflict, InvalidField, install_problem_handlers, json_pointer
from shared.middleware import BodySizeLimit, SecurityHeaders


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=0)
    tags: list[str] = []


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=1024)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.post("/conflict")
    async def conflict() -> None:
        raise Conflict("already sent", extra={"allowed": ["accepted"]})

    @app.post("/rule")
    async def rule() -> None:
        raise InvalidField([("/ends_on", "must be after starts_on"), ("/capacity", "must not be negative")])

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    @app.get("/db-down")
    async def db_down() -> None:
        raise ConnectionRefusedError("connect call failed")

    return app


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:hawkari:problem:{slug}"
    assert body["status"] == status and body["title"]
    return body  # type: ignore[no-any-return]


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/nowhere"), 404, "not-found")
    assert body["instance"] == "/nowhere"


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/things")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


async def test_malformed_json_is_a_problem_naming_the_document(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "malformed-body")
    assert body["errors"] == [{"pointer": "", "detail": "is not valid UTF-8 JSON"}]


async def test_non_utf8_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", content='{"name": "é"}'.encode("latin-1"), headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "malformed-body")


async def test_validation_errors_name_each_field_with_a_json_pointer(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "", "count": -1, "tags": ["ok", 5]})
    body = assert_problem(response, 422, "validation-error")
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/name", "/count", "/tags/1"}


async def test_missing_fields_are_named(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/things", json={}), 422, "validation-error")
    assert {e["pointer"] for e in body["errors"]} == {"/name", "/count"}


async def test_domain_rules_name_their_fields(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/rule"), 422, "validation-error")
    assert [e["pointer"] for e in body["errors"]] == ["/ends_on", "/capacity"]


async def test_domain_errors_carry_status_and_extras(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/conflict"), 409, "conflict")
    assert body["detail"] == "already sent" and body["allowed"] == ["accepted"]


async def test_an_unexpected_error_is_a_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "passwd" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" not in body["detail"]


async def test_an_unreachable_dependency_is_a_503_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/db-down")
    assert_problem(response, 503, "service-unavailable")
    assert response.headers["retry-after"].isdigit()


async def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"name": "x" * 5000, "count": 1})
    assert_problem(response, 413, "payload-too-large")


async def test_a_chunked_oversized_body_is_refused_too(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b" " * 500

    response = await client.post("/things", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload-too-large")


async def test_api_responses_carry_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_json_pointer_escapes_per_rfc_6901() -> None:
    assert json_pointer(("body", "a/b", "c~d", 0)) == "/a~1b/c~0d/0"
    assert json_pointer(("query", "limit")) == "#query/limit"
