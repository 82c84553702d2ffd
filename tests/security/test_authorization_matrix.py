"""Every route of every service × every role × own organization / other organization / no token /
expired token, against the table in authorization_table.py. Real services (uvicorn on 127.0.0.1),
real PostgreSQL and NATS, real tokens from the development IdP.

A route the table does not list fails the test (new routes must be classified); so does any answer
other than the one written down — an unexpected allow above all. Refusals must be problem+json.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from services.referrals.replica.consumer import apply_registry_event
from shared.testing import eventually
from tests.referrals.world import Directory, org_event
from tests.security.authorization_table import TABLES, Row
from tests.security.stack import ROLE_USERS, ROLES, SERVICES, Running, Stack, Tokens
from tests.security.world import (
    SULAYMANIYAH,
    CoordinationWorld,
    NotificationsWorld,
    ReferralsWorld,
    RegistryWorld,
    World,
)

SIDES = ("own", "other")


@dataclass
class Outcome:
    service: str
    method: str
    path: str
    who: str
    side: str
    expected: int
    actual: int
    detail: str = ""

    def __str__(self) -> str:
        return (
            f"{self.service} {self.method} {self.path} as {self.who} ({self.side}): "
            f"expected {self.expected}, got {self.actual} {self.detail}"
        )


def openapi_routes(name: str) -> set[tuple[str, str]]:
    app = importlib.import_module(f"services.{name}.app").create_app()
    return {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}


@pytest.mark.parametrize("name", SERVICES)
def test_the_table_lists_every_route_and_no_other(name: str) -> None:
    documented = openapi_routes(name)
    listed = [(row.method, row.path) for row in TABLES[name]]
    assert len(listed) == len(set(listed)), "a route is listed twice"
    assert not documented - set(listed), (
        f"routes to classify in authorization_table.py: {sorted(documented - set(listed))}"
    )
    assert not set(listed) - documented, (
        f"routes the service no longer has: {sorted(set(listed) - documented)}"
    )


async def _request(
    running: Running, row: Row, path: str, headers: dict[str, str], body: Any
) -> tuple[int, str, str]:
    if row.path.endswith("/stream"):
        # A live stream never ends: its status line and headers are the answer.
        async with running.http.stream(row.method, path, headers=headers, params=row.query) as r:
            return r.status_code, r.headers.get("content-type", ""), ""
    r = await running.http.request(row.method, path, headers=headers, params=row.query, json=body)
    return r.status_code, r.headers.get("content-type", ""), r.text[:300]


async def _path(world: World, row: Row, side: str, role: str, fresh: bool) -> str:
    path = row.path
    for name in [p.split("}")[0] for p in row.path.split("{")[1:]]:
        kind = name + (":" + row.kinds[name] if name in row.kinds else "")
        path = path.replace("{" + name + "}", await world.param(kind, side, role, fresh))
    return path


async def run_matrix(name: str, running: Running, world: World, tokens: Tokens) -> list[Outcome]:
    outcomes: list[Outcome] = []
    expired = {"Authorization": f"Bearer {tokens.expired()}"}
    for row in TABLES[name]:
        for role in ROLES:
            done: dict[tuple[str, str], tuple[int, str, str]] = {}
            for index, side in enumerate(SIDES):
                expected = row.expect[role][index]
                fresh = row.fresh and expected < 300
                path = await _path(world, row, side, role, fresh)
                body = row.body(world, side) if row.body else None
                headers = {**world.bearer(ROLE_USERS[role]), "If-Match": "*"}
                # Where both sides make the very same request (no object of an organization in it),
                # it is asked once and its answer checked against both columns.
                same = (path, json.dumps(body, sort_keys=True))
                if same not in done or fresh:
                    done[same] = await _request(running, row, path, headers, body)
                status, ctype, text = done[same]
                outcome = Outcome(name, row.method, row.path, role, side, expected, status, text)
                if status >= 400 and "problem+json" not in ctype:
                    outcome.detail = f"(refusal is not problem+json: {ctype}) {text}"
                    outcome.actual = -status
                outcomes.append(outcome)
        path = await _path(world, row, "own", "counsellor", False)
        body = row.body(world, "own") if row.body else None
        for who, headers in (("no token", {}), ("expired token", expired)):
            status, ctype, text = await _request(running, row, path, headers, body)
            expected = 200 if row.public else 401
            outcomes.append(Outcome(name, row.method, row.path, who, "-", expected, status, text))
    return outcomes


def report(outcomes: list[Outcome]) -> None:
    wrong = [o for o in outcomes if o.actual != o.expected]
    allowed_wrongly = [o for o in wrong if 200 <= o.actual < 300]
    counts = Counter(o.actual for o in outcomes)
    print(f"\n{outcomes[0].service}: {len(outcomes)} requests, answers {dict(sorted(counts.items()))}")
    assert not wrong, (
        f"{len(wrong)} of {len(outcomes)} answers differ from the table "
        f"({len(allowed_wrongly)} unexpected allows):\n" + "\n".join(map(str, wrong))
    )


@pytest.mark.timeout(600)
async def test_registry_matrix(stack: Stack, tokens: Tokens) -> None:
    world = RegistryWorld(stack["registry"].http, tokens)
    await world.setup()
    report(await run_matrix("registry", stack["registry"], world, tokens))


@pytest.mark.timeout(600)
async def test_referrals_matrix(stack: Stack, tokens: Tokens) -> None:
    directory = Directory()
    sessions = stack["referrals"].app.state.sessionmaker
    for event in [*directory.events(), org_event(SULAYMANIYAH, "MRC Sulaymaniyah")]:
        async with sessions() as session, session.begin():
            await apply_registry_event(session, event)
    world = ReferralsWorld(stack["referrals"].http, tokens, directory)
    report(await run_matrix("referrals", stack["referrals"], world, tokens))


@pytest.mark.timeout(600)
async def test_notifications_matrix(stack: Stack, tokens: Tokens) -> None:
    running = stack["notifications"]
    world = NotificationsWorld(running.http, tokens, stack.js, stack.subject_prefix, stack.receiver.url)
    wait: Callable[[Callable[[], Awaitable[bool]]], Awaitable[None]] = eventually
    await world.setup(wait)
    report(await run_matrix("notifications", running, world, tokens))


async def test_coordination_matrix(stack: Stack, tokens: Tokens) -> None:
    world = CoordinationWorld(stack["coordination"].http, tokens)
    report(await run_matrix("coordination", stack["coordination"], world, tokens))
