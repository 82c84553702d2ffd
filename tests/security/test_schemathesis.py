"""Property-based API testing with schemathesis against every service's OpenAPI document: requests
generated from the schema, sent by a real user of each role (real tokens) to the real service on
uvicorn; no answer may be a 5xx, and every answer must match the schema documented for its status.
Each operation is tried by every role the authorization table lets through and by one it refuses.

The CI run draws HAWKARI_FUZZ_EXAMPLES examples (default 1) per operation and role; set it higher
by hand for a longer hunt, e.g. ``HAWKARI_FUZZ_EXAMPLES=25 pytest tests/security/test_schemathesis.py``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.security.authorization_table import TABLES, Row
from tests.security.stack import ROLE_USERS, ROLES, SERVICES, Running, Stack, Tokens

EXAMPLES = int(os.environ.get("HAWKARI_FUZZ_EXAMPLES", "1"))
# The live inbox stream never ends, so a synchronous client would wait on it forever; its answer
# (status, headers) is checked by the authorization matrix.
SKIPPED = {("GET", "/v1/inbox/stream")}


def roles_for(row: Row) -> list[str]:
    """Every role the authorization table lets through somewhere, and one it refuses: a refused
    role only ever meets the role check, which one request per operation covers."""
    allowed = [role for role in ROLES if any(200 <= status < 300 for status in row.expect[role])]
    refused = [role for role in ROLES if role not in allowed]
    return allowed + refused[:1]


def fuzz(running: Running, tokens: Tokens) -> tuple[int, list[str]]:
    """Run every operation for every role; returns (requests sent, failures)."""
    schema = schemathesis.openapi.from_dict(running.app.openapi())
    failures: list[str] = []
    sent: list[int] = []
    session = requests.Session()

    def runner(operation: Any, role: str) -> Callable[[], None]:
        headers = {"Authorization": f"Bearer {tokens(ROLE_USERS[role])}"}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(base_url=running.url, session=session, headers=headers, timeout=30)
            sent.append(response.status_code)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except Exception as exc:
                failures.append(
                    f"{case.method} {case.path} as {role}: {response.status_code} "
                    f"{type(exc).__name__}: {str(exc)[:600]}\n  {case.as_curl_command()[:400]}"
                )

        return run

    rows = {(row.method, row.path): row for row in TABLES[running.name]}
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIPPED:
            continue
        for role in roles_for(rows[key]):
            runner(operation, role)()
    return len(sent), failures


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", SERVICES)
async def test_schemathesis_no_server_errors_and_schema_conformance(
    name: str, stack: Stack, tokens: Tokens
) -> None:
    running = stack[name]
    # The generated requests go out from a thread: the service answers on this event loop.
    sent, failures = await asyncio.to_thread(fuzz, running, tokens)
    print(f"\n{name}: {sent} generated requests, {len(failures)} failures")
    assert sent > 0
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
