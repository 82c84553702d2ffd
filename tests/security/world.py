"""The objects the authorization matrix points at, one set per organization side.

Side "own" is the organization of the role's demo user (MRC Erbil for the counsellor, Rwanga for
the provider staff); side "other" is another organization (MRC Baghdad, ETTC). Roles without such
an organization (funder, steering, platform, DPO) get the "own" side's objects in both columns of
what is theirs, which the table expects them to be refused or allowed alike. Objects of the other
side are made by that side's people: a real demo user, or — where the demo realm has nobody (an
ETTC provider admin) — a colleague's token signed with the realm's key.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from services.registry.seed import demo_id
from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.events import make_event
from tests.security.stack import ROLE_USERS, Tokens, demo_org

ERBIL, BAGHDAD, SULAYMANIYAH = demo_org("mrc-erbil"), demo_org("mrc-baghdad"), demo_org("mrc-sulaymaniyah")
RWANGA, ETTC = demo_org("rwanga"), demo_org("ettc")
_counter = itertools.count()


class World:
    def __init__(self, http: httpx.AsyncClient, tokens: Tokens) -> None:
        self.http = http
        self.tokens = tokens
        self.shared: dict[tuple[str, str], str] = {}
        # Bearer tokens by actor name: a demo user name, or a token made at setup.
        self.extra: dict[str, str] = {}

    def bearer(self, actor: str) -> dict[str, str]:
        token = self.extra.get(actor) or self.tokens(actor)
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def unique() -> str:
        return f"{next(_counter)}-{uuid.uuid4().hex[:6]}"

    async def call(self, actor: str, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        headers = {**self.bearer(actor), "If-Match": "*"}
        r = await self.http.request(method, path, json=body, headers=headers)
        assert r.status_code == expect, f"setup {method} {path} as {actor}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def param(self, name: str, side: str, role: str, fresh: bool) -> str:
        if fresh:
            return await self.make(name, side, role)
        key = (name, side)
        if key not in self.shared:
            self.shared[key] = await self.make(name, side, role)
        return self.shared[key]

    async def make(self, name: str, side: str, role: str) -> str:
        raise KeyError(f"{type(self).__name__} has no objects for parameter {name}")


# --- registry ---------------------------------------------------------------------------------------


class RegistryWorld(World):
    """The seeded demo directory: Rwanga's entries are "own", ETTC's "other"."""

    def org(self, side: str) -> uuid.UUID:
        return RWANGA if side == "own" else ETTC

    def admin(self, side: str) -> str:
        return "admin.rwanga" if side == "own" else "admin.ettc"

    async def setup(self) -> None:
        self.extra["admin.ettc"] = self.tokens.as_other_member("admin.rwanga", "admin.ettc", ETTC)

    async def make(self, name: str, side: str, role: str) -> str:
        own = side == "own"
        seeded: dict[str, Callable[[], str]] = {
            "service_id": lambda: str(
                demo_id("service", "rwanga-psychosocial" if own else "ettc-business-start-up")
            ),
            "organization_id": lambda: str(self.org(side)),
            "location_id": lambda: str(demo_id("location", "rwanga-erbil" if own else "ettc-erbil")),
            "term_id": lambda: str(demo_id("term", "psychosocial-counselling")),
            "programme_id": lambda: str(demo_id("programme", "frontex-jrs")),
            "governorate_code": lambda: "IQ-SU",
            "currency": lambda: "SEK",
        }
        made: dict[str, Callable[[], Awaitable[str]]] = {
            "service_id": lambda: self._new("/v1/services", self.admin(side), self.service_body(side)),
            "location_id": lambda: self._new("/v1/locations", self.admin(side), self.location_body(side)),
            "organization_id": lambda: self._new(
                "/v1/organizations", "admin.platform", {"kind": "ngo", "name": {"en": f"NGO {self.unique()}"}}
            ),
            "term_id": lambda: self._new(
                "/v1/taxonomy-terms",
                "steering.noraq",
                {"code": f"t-{self.unique()}", "dimension": "social", "name": {"en": "Term"}},
            ),
            "programme_id": lambda: self._new("/v1/programmes", "steering.noraq", self.programme_body()),
            "rule_id": lambda: self._on_service(side, "rules", {"kind": "gender", "genders": ["female"]}),
            "benefit_id": lambda: self._on_service(
                side,
                "benefits",
                {"kind": "in_kind", "amount": "1", "currency": "USD", "description": {"en": "Kit"}},
            ),
        }
        # Objects that a request may change for good are made new; the rest are the seeded ones.
        if name in made and (name not in seeded or self._making_fresh):
            return await made[name]()
        if name in ("link_id", "taxonomy_id"):
            what = "service_at_locations" if name == "link_id" else "taxonomies"
            page = await self.call("funder.se", "GET", f"/hsds/{what}")
            return str(page["contents"][0]["id"])
        if name == "name":
            return next(iter((await self.call("funder.se", "GET", "/hsds/profile"))["patches"]))
        return seeded[name]()

    _making_fresh = False

    async def param(self, name: str, side: str, role: str, fresh: bool) -> str:
        self._making_fresh = fresh
        try:
            return await super().param(name, side, role, fresh)
        finally:
            self._making_fresh = False

    async def _new(self, path: str, actor: str, body: dict[str, Any]) -> str:
        return str((await self.call(actor, "POST", path, body, expect=201))["id"])

    async def _on_service(self, side: str, what: str, body: dict[str, Any]) -> str:
        service = demo_id("service", "rwanga-psychosocial" if side == "own" else "ettc-business-start-up")
        return await self._new(f"/v1/services/{service}/{what}", self.admin(side), body)

    def service_body(self, side: str) -> dict[str, Any]:
        return {
            "organization_id": str(self.org(side)),
            "name": {"en": f"Service {self.unique()}"},
            "taxonomy_terms": ["legal-documents"],
        }

    def location_body(self, side: str) -> dict[str, Any]:
        return {
            "organization_id": str(self.org(side)),
            "name": {"en": f"Office {self.unique()}"},
            "governorate_code": "IQ-AR",
        }

    def programme_body(self) -> dict[str, Any]:
        return {
            "name": {"en": f"Programme {self.unique()}"},
            "funder_countries": ["FI"],
            "funding_instruments": ["amif"],
            "thematic_areas": ["return_reintegration"],
            "target_group": "funder_country_returnees",
            "eligible_return_types": ["voluntary_assisted"],
            "starts_on": "2025-01-01",
        }


# --- referrals --------------------------------------------------------------------------------------


class ReferralsWorld(World):
    """MRC Erbil's case referred to Rwanga ("own"); MRC Baghdad's case referred to ETTC ("other")."""

    sulaymaniyah = SULAYMANIYAH

    def __init__(self, http: httpx.AsyncClient, tokens: Tokens, directory: Any) -> None:
        super().__init__(http, tokens)
        self.d = directory
        self.last_consent = ""

    @staticmethod
    def counsellor(side: str) -> str:
        return "counsellor.erbil" if side == "own" else "counsellor.baghdad"

    @staticmethod
    def provider(side: str) -> str:
        return "caseworker.rwanga" if side == "own" else "caseworker.ettc"

    def service(self, side: str) -> uuid.UUID:
        return self.d.psychosocial if side == "own" else self.d.fast

    def grant(self, side: str) -> dict[str, Any]:
        return {
            "purposes": ["referral"],
            "data_categories": ["identity_contact", "needs"],
            "recipient_org_ids": [str(RWANGA if side == "own" else ETTC)],
            "obtained_how": "verbal",
            "information_language": "ckb",
            "information_version": "2025-01",
        }

    def case_body(self, document: str | None = None) -> dict[str, Any]:
        return {
            "gender": "female",
            "age_band": "25-34",
            "governorate_code": "IQ-AR",
            "country_returned_from": "SE",
            "return_type": "voluntary_assisted",
            "arrival_date": "2025-01-10",
            "household_size": 3,
            "personal": {
                "identity_contact": {"given_name": "Matrix", "family_name": "Person"},
                "documents": {
                    "document_type": "passport",
                    "document_number": document or f"M{self.unique()}",
                },
            },
        }

    def referral_body(self, side: str, send: bool = True) -> dict[str, Any]:
        return {"service_id": str(self.service(side)), "data_categories": ["identity_contact"], "send": send}

    async def new_case(self, side: str, document: str | None = None) -> str:
        case = await self.call(self.counsellor(side), "POST", "/v1/cases", self.case_body(document), 201)
        consent = await self.call(
            self.counsellor(side), "POST", f"/v1/cases/{case['id']}/consent", self.grant(side), 201
        )
        self.last_consent = str(consent["id"])
        return str(case["id"])

    async def case(self, side: str) -> str:
        if ("case", side) not in self.shared:
            self.shared[("case", side)] = await self.new_case(side)
        return self.shared[("case", side)]

    async def referral(self, side: str, state: str) -> str:
        case = await self.case(side)
        ref = await self.call(
            self.counsellor(side),
            "POST",
            f"/v1/cases/{case}/referrals",
            self.referral_body(side, send=state != "draft"),
            201,
        )
        rid = str(ref["id"])
        steps = {
            "accepted": ["accept"],
            "started": ["accept", "start"],
            "completed": ["accept", "start", "complete"],
        }.get(state, [])
        bodies = {"complete": {"outcome": "delivered"}}
        for step in steps:
            await self.call(self.provider(side), "POST", f"/v1/referrals/{rid}/{step}", bodies.get(step))
        return rid

    async def make(self, name: str, side: str, role: str) -> str:
        if name == "case_id":
            return await self.new_case(side)
        if name.startswith("referral_id"):
            return await self.referral(side, name.partition(":")[2] or "sent")
        if name == "transfer_id":
            # Own: a Baghdad case offered to Erbil (the counsellor's organization decides);
            # other: a Baghdad case offered to Sulaymaniyah.
            case = await self.new_case("other")
            to = ERBIL if side == "own" else SULAYMANIYAH
            transfer = await self.call(
                "counsellor.baghdad", "POST", f"/v1/cases/{case}/transfers", {"to_org_id": str(to)}, 201
            )
            return str(transfer["id"])
        if name == "flag_id":
            document = f"DUP{self.unique()}"
            await self.new_case(side, document)
            await self.new_case(side, document)
            flags = await self.call(self.counsellor(side), "GET", "/v1/duplicates")
            return str(next(f["id"] for f in reversed(flags) if f["status"] == "open"))
        return await super().make(name, side, role)

    async def param(self, name: str, side: str, role: str, fresh: bool) -> str:
        if name == "case_id" and not fresh:
            return await self.case(side)
        return await super().param(name, side, role, fresh)


# --- notifications ----------------------------------------------------------------------------------


class NotificationsWorld(World):
    """Inbox items from real contract events on JetStream; webhook endpoints of Rwanga ("own") and
    ETTC ("other", registered by an ETTC admin whose token is signed with the realm's key)."""

    def __init__(
        self, http: httpx.AsyncClient, tokens: Tokens, js: Any, prefix: str, receiver_url: str
    ) -> None:
        super().__init__(http, tokens)
        self.js, self.prefix, self.receiver_url = js, prefix, receiver_url
        self.items: dict[str, str] = {}  # role group -> item id
        self.endpoints: dict[str, str] = {}
        self.deliveries: dict[str, str] = {}

    async def publish(self, contract: Any, entity: uuid.UUID) -> None:
        event = make_event(contract, subject=str(entity))
        await self.js.publish(
            self.prefix + contract.subject(str(entity)), event.to_json(), headers={"Nats-Msg-Id": event.id}
        )

    def admin(self, side: str) -> str:
        return "admin.rwanga" if side == "own" else "admin.ettc"

    async def setup(self, wait: Callable[[Callable[[], Awaitable[bool]]], Awaitable[None]]) -> None:
        self.extra["admin.ettc"] = self.tokens.as_other_member("admin.rwanga", "admin.ettc", ETTC)
        self.extra["caseworker.ettc"] = self.tokens("caseworker.ettc")
        for side in ("own", "other"):
            self.endpoints[side] = await self.new_endpoint(side)
        service = uuid.uuid4()
        for org, name in ((RWANGA, "Rwanga"), (ETTC, "ETTC"), (ERBIL, "MRC Erbil"), (BAGHDAD, "MRC Baghdad")):
            await self.publish(
                reg.OrganizationUpserted(
                    version=1,
                    active=True,
                    updated_at="2025-01-01T00:00:00Z",
                    organization_id=org,
                    kind="ngo",
                    name=reg.Translations(en=name),
                    description=reg.Translations(),
                ),
                org,
            )
        for provider, owner in ((RWANGA, ERBIL), (ETTC, BAGHDAD)):
            dims = rc.Dimensions(owner_org_id=owner, provider_org_id=provider, governorate_code="IQ-AR")
            ref, case = uuid.uuid4(), uuid.uuid4()
            common = dict(
                case_id=case,
                dimensions=dims,
                referral_id=ref,
                service_id=service,
                data_categories=["identity_contact"],
            )
            await self.publish(
                rc.ReferralSent(status="sent", legal_basis="consent", capacity_warning=False, **common), ref
            )
            await self.publish(rc.ReferralAccepted(status="accepted", **common), ref)

        async def arrived() -> bool:
            counsellor = await self.inbox("counsellor.erbil")
            provider = await self.inbox("caseworker.rwanga")
            ettc = await self.inbox("caseworker.ettc")
            deliveries = await self.call(
                "admin.rwanga", "GET", f"/v1/webhooks/{self.endpoints['own']}/deliveries"
            )
            if not (counsellor and provider and ettc and _items(deliveries)):
                return False
            self.items = {
                "referrer": counsellor[0]["id"],
                "provider": provider[0]["id"],
                "other": ettc[0]["id"],
            }
            self.deliveries["own"] = _items(deliveries)[0]["id"]
            return True

        await wait(arrived)
        other = await self.call("admin.ettc", "GET", f"/v1/webhooks/{self.endpoints['other']}/deliveries")
        self.deliveries["other"] = _items(other)[0]["id"] if _items(other) else str(uuid.uuid4())

    async def inbox(self, actor: str) -> list[dict[str, Any]]:
        return list((await self.call(actor, "GET", "/v1/inbox"))["items"])

    async def new_endpoint(self, side: str) -> str:
        body = {"url": self.receiver_url, "event_types": ["org.hawkari.referral.sent.v1"]}
        return str((await self.call(self.admin(side), "POST", "/v1/webhooks", body, 201))["id"])

    async def param(self, name: str, side: str, role: str, fresh: bool) -> str:
        if name == "subject":
            user = ROLE_USERS[role] if side == "own" else "caseworker.ettc"
            return str(self.tokens.claims(user)["sub"])
        if name == "item_id":
            if side == "other":
                return self.items["other"]
            return self.items["referrer" if role == "counsellor" else "provider"]
        if name == "endpoint_id":
            return await self.new_endpoint(side) if fresh else self.endpoints[side]
        if name == "delivery_id":
            return self.deliveries[side]
        return await super().param(name, side, role, fresh)


def _items(page: Any) -> list[dict[str, Any]]:
    return list(page["items"] if isinstance(page, dict) else page)


class CoordinationWorld(World):
    """Coordination has no objects of an organization: its answers are counts for everyone allowed."""
