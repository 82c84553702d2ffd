"""A steady load of referrals through the HTTP APIs, as the demo users make them, with real tokens.

Every POST carries an ``Idempotency-Key`` and is retried with the same key until it gets a definite
answer (a dropped connection, a timeout or a 503 leave the outcome unknown), which is what a careful
client does. The ledger keeps what the client was told: each referral created (201) and each
transition made (200), and every response's status, for the checks that follow.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from deploy.devidp.testing import password_token
from tests.referrals.world import case_body, grant

COUNSELLOR, CASEWORKER, ADMIN = "counsellor.erbil", "caseworker.rwanga", "admin.rwanga"
USERS = (COUNSELLOR, CASEWORKER, ADMIN, "funder.se")

# What each step's target status is, who makes it, and with what body.
STEPS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "accept": ("accepted", CASEWORKER, None),
    "decline": ("declined", CASEWORKER, {"reason": "no_capacity"}),
    "start": ("in_progress", CASEWORKER, None),
    "complete": ("completed", CASEWORKER, {"outcome": "delivered"}),
    "revoke": ("revoked", COUNSELLOR, {"reason": "sender_revoked"}),
}
# Lifecycles after "sent", weighted: most referrals run to completion.
PLANS: list[tuple[tuple[str, ...], int]] = [
    (("accept", "start", "complete"), 5),
    (("decline",), 2),
    (("revoke",), 2),
    (("accept", "revoke"), 1),
    (("accept", "start"), 1),
]


@dataclass
class ReferralRecord:
    id: str
    case_id: str
    statuses: list[str] = field(default_factory=lambda: ["sent"])


@dataclass
class Observed:
    at: float
    service: str
    status: int
    problem: bool
    retry_after: str | None


@dataclass
class Ledger:
    referrals: dict[str, ReferralRecord] = field(default_factory=dict)
    operations: int = 0  # committed operations: creates and transitions the client saw succeed
    retries: int = 0
    transport_errors: int = 0
    observed: list[Observed] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


class Client:
    """The APIs of the running stack, with a token per demo user and retries until answered."""

    def __init__(self, urls: dict[str, str], idp_url: str, ledger: Ledger) -> None:
        self.urls = urls
        self.idp_url = idp_url
        self.ledger = ledger
        self.tokens: dict[str, str] = {}
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=3.0))

    async def login(self) -> None:
        for user in USERS:
            self.tokens[user] = await password_token(self.idp_url, user)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def once(
        self, service: str, user: str, method: str, path: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        if key:
            headers["Idempotency-Key"] = key
        response = await self.http.request(method, self.urls[service] + path, json=body, headers=headers)
        self.ledger.observed.append(
            Observed(
                time.monotonic(),
                service,
                response.status_code,
                response.headers.get("content-type", "").startswith("application/problem+json"),
                response.headers.get("retry-after"),
            )
        )
        return response

    async def call(
        self, service: str, user: str, method: str, path: str, body: Any = None, deadline_s: float = 180.0
    ) -> httpx.Response:
        """Until a definite answer: a POST keeps its Idempotency-Key across retries."""
        key = str(uuid.uuid4()) if method == "POST" else None
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                response = await self.once(service, user, method, path, body, key)
            except httpx.TransportError:
                self.ledger.transport_errors += 1
                self.ledger.retries += 1
                await asyncio.sleep(0.3)
                continue
            if response.status_code == 401:
                self.tokens[user] = await password_token(self.idp_url, user)
            elif response.status_code >= 500:
                self.ledger.retries += 1
                wait = float(response.headers.get("retry-after", "1"))
                await asyncio.sleep(min(wait, 1.0))
            else:
                return response
        raise AssertionError(f"{method} {path} got no answer within {deadline_s} s")


@dataclass
class Setup:
    service_id: str
    case_ids: list[str]


async def prepare(client: Client, receiver_url: str, cases: int) -> tuple[Setup, str]:
    """Cases with consent to share with Rwanga, a referrable service of Rwanga, email preferences of the
    two sides and Rwanga's webhook endpoint. Returns the setup and the endpoint's signing secret."""
    rwanga = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:rwanga"))
    case_ids = []
    for _ in range(cases):
        r = await client.call("referrals", COUNSELLOR, "POST", "/v1/cases", case_body())
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        consent = grant(["identity_contact", "needs"], orgs=[uuid.UUID(rwanga)])
        r = await client.call("referrals", COUNSELLOR, "POST", f"/v1/cases/{case_id}/consent", consent)
        assert r.status_code == 201, r.text
        case_ids.append(case_id)
    for user in (COUNSELLOR, CASEWORKER):
        r = await client.call("notifications", user, "PUT", "/v1/preferences/me", {"language": "en"})
        assert r.status_code == 200 and r.json()["email_known"], r.text
    types = [f"org.hawkari.referral.{v}.v1" for v in ("sent", "revoked", "accepted", "declined", "completed")]
    r = await client.call(
        "notifications", ADMIN, "POST", "/v1/webhooks", {"url": receiver_url, "event_types": types}
    )
    assert r.status_code == 201, r.text
    secret = str(r.json()["secret"])
    # The first service of Rwanga, in directory order, that takes this referral (the registry's
    # events reach the referrals replica shortly after the seed).
    r = await client.call(
        "registry", COUNSELLOR, "GET", f"/v1/services?organization_id={rwanga}&accepts_referrals=true"
    )
    assert r.status_code == 200, r.text
    items = r.json()
    candidates = [s["id"] for s in (items["items"] if isinstance(items, dict) else items)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for service_id in candidates:
            r = await client.call(
                "referrals",
                COUNSELLOR,
                "POST",
                f"/v1/cases/{case_ids[0]}/referrals",
                {"service_id": service_id, "data_categories": ["needs"], "send": False},
            )
            if r.status_code == 201:
                return Setup(service_id, case_ids), secret
        await asyncio.sleep(1)
    raise AssertionError(f"no Rwanga service in {candidates} takes a referral: {r.text}")


class Load:
    """``workers`` concurrent users, each running one referral's lifecycle after another."""

    def __init__(self, client: Client, setup: Setup, workers: int, pause_s: float, seed: int = 9) -> None:
        self.client = client
        self.setup = setup
        self.workers = workers
        self.pause_s = pause_s
        self.random = random.Random(seed)
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker(i) for i in range(self.workers)))

    async def _worker(self, index: int) -> None:
        plans = [p for p, _ in PLANS]
        weights = [w for _, w in PLANS]
        n = 0
        while not self.stopping.is_set():
            case_id = self.setup.case_ids[(index + n * self.workers) % len(self.setup.case_ids)]
            n += 1
            await self.lifecycle(case_id, self.random.choices(plans, weights)[0])

    async def lifecycle(self, case_id: str, plan: tuple[str, ...]) -> None:
        ledger = self.client.ledger
        body = {"service_id": self.setup.service_id, "data_categories": ["identity_contact", "needs"]}
        r = await self.client.call("referrals", COUNSELLOR, "POST", f"/v1/cases/{case_id}/referrals", body)
        if r.status_code != 201:
            ledger.unexpected.append(f"create: {r.status_code} {r.text[:300]}")
            return
        record = ReferralRecord(r.json()["id"], case_id)
        ledger.referrals[record.id] = record
        ledger.operations += 1
        for action in plan:
            await asyncio.sleep(self.pause_s)
            target, user, step_body = STEPS[action]
            r = await self.client.call(
                "referrals", user, "POST", f"/v1/referrals/{record.id}/{action}", step_body
            )
            if r.status_code != 200 or r.json()["status"] != target:
                ledger.unexpected.append(f"{action} {record.id}: {r.status_code} {r.text[:300]}")
                return
            record.statuses.append(target)
            ledger.operations += 1
