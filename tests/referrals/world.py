"""A small directory for the referrals tests, as real registry contract events, and API helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.referrals.replica.consumer import apply_registry_event
from shared.contracts import registry
from shared.events import make_event


def demo_org(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


ERBIL = demo_org("mrc-erbil")
BAGHDAD = demo_org("mrc-baghdad")
RWANGA = demo_org("rwanga")
ETTC = demo_org("ettc")

T = registry.Translations
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def org_event(org_id: uuid.UUID, name: str, *, version: int = 1, active: bool = True) -> Any:
    state = dict(
        version=version,
        active=active,
        updated_at=NOW,
        organization_id=org_id,
        kind="ngo",
        name=T(en=name),
        description=T(),
    )
    cls = registry.OrganizationUpserted if active else registry.OrganizationDeactivated
    return make_event(cls(**state), subject=str(org_id))


def service_event(
    service_id: uuid.UUID,
    org_id: uuid.UUID,
    *,
    codes: list[str],
    version: int = 1,
    active: bool = True,
    accepts: bool = True,
    open_places: int | None = 5,
    hours: int = 168,
    areas: list[str] | None = None,
) -> Any:
    state = dict(
        version=version,
        active=active,
        updated_at=NOW,
        service_id=service_id,
        organization_id=org_id,
        status="active" if active else "inactive",
        name=T(en=f"service {codes}"),
        description=T(),
        application_process=T(),
        fees_description=T(),
        languages=["ckb"],
        required_documents=[],
        accepts_referrals=accepts,
        referral_response_hours=hours,
        capacity=registry.Capacity(open_places=open_places),
        taxonomy_term_codes=codes,
        location_ids=[],
        service_areas=[registry.ServiceAreaState(governorate_code=g) for g in (areas or [])],
    )
    cls = registry.ServiceUpserted if active else registry.ServiceDeactivated
    return make_event(cls(**state), subject=str(service_id))


def term_event(code: str, dimension: str, *, version: int = 1) -> Any:
    term_id = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:test-term:" + code)
    state = registry.TaxonomyTermUpserted(
        version=version,
        active=True,
        updated_at=NOW,
        taxonomy_term_id=term_id,
        code=code,
        name=T(en=code),
        description=T(),
        dimension=dimension,
    )
    return make_event(state, subject=str(term_id))


def benefit_event(programme_id: uuid.UUID, kind: str) -> Any:
    benefit_id = uuid.uuid5(programme_id, kind)
    state = registry.BenefitUpserted(
        version=1,
        active=True,
        updated_at=NOW,
        benefit_id=benefit_id,
        programme_id=programme_id,
        kind=kind,
        per="person",
    )
    return make_event(state, subject=str(benefit_id))


# The test taxonomy: which reintegration dimension each service category serves.
TERMS = {
    "psychosocial": "psychosocial",
    "medical": "psychosocial",
    "housing": "social",
    "livelihood": "economic",
    "cash-grant": "economic",
    "airport-reception": "arrival_reception",
}


def programme_event(
    programme_id: uuid.UUID, service_ids: list[uuid.UUID], *, return_types: list[str], funders: list[str]
) -> Any:
    state = registry.ProgrammeUpserted(
        version=1,
        active=True,
        updated_at=NOW,
        programme_id=programme_id,
        name=T(en="programme"),
        description=T(),
        funder_countries=funders,
        funding_instruments=["AMIF"],
        thematic_areas=[],
        target_group="returnees",
        eligible_return_types=return_types,
        starts_on=date(2024, 1, 1),
        ends_on=None,
        implementing_organization_ids=[],
        service_ids=service_ids,
    )
    return make_event(state, subject=str(programme_id))


class Directory:
    """Ids of the test directory: Rwanga psychosocial and housing, ETTC livelihoods, and odd cases."""

    def __init__(self) -> None:
        self.psychosocial = uuid.uuid4()  # Rwanga, "psychosocial"
        self.housing = uuid.uuid4()  # Rwanga, "housing", no capacity
        self.livelihood = uuid.uuid4()  # ETTC, "livelihood", programme for voluntary returns only
        self.livelihood_alt = uuid.uuid4()  # Rwanga, "livelihood": the suggestion when ETTC declines
        self.inactive = uuid.uuid4()
        self.closed_door = uuid.uuid4()  # does not accept referrals
        self.fast = uuid.uuid4()  # ETTC, 48 h response time
        self.programme = uuid.uuid4()  # pays cash
        self.cash_grant = uuid.uuid4()  # Rwanga, "cash-grant", under cash_programme
        self.cash_programme = uuid.uuid4()  # pays cash and in kind, Finland
        self.reception = uuid.uuid4()  # ETTC airport reception: makes ETTC a reception organization

    def events(self) -> list[Any]:
        return [
            org_event(RWANGA, "Rwanga Foundation"),
            org_event(ETTC, "ETTC"),
            org_event(ERBIL, "MRC Erbil"),
            org_event(BAGHDAD, "MRC Baghdad"),
            service_event(self.psychosocial, RWANGA, codes=["psychosocial"]),
            service_event(self.housing, RWANGA, codes=["housing"], open_places=0),
            service_event(self.livelihood, ETTC, codes=["livelihood"]),
            service_event(self.livelihood_alt, RWANGA, codes=["livelihood"]),
            service_event(self.inactive, RWANGA, codes=["psychosocial"], active=False),
            service_event(self.closed_door, RWANGA, codes=["psychosocial"], accepts=False),
            service_event(self.fast, ETTC, codes=["medical"], hours=48),
            programme_event(
                self.programme,
                [self.livelihood, self.livelihood_alt],
                return_types=["voluntary_assisted"],
                funders=["NO", "SE"],
            ),
            service_event(self.cash_grant, RWANGA, codes=["cash-grant"]),
            service_event(self.reception, ETTC, codes=["airport-reception"], accepts=False, areas=["IQ-BG"]),
            programme_event(
                self.cash_programme, [self.cash_grant], return_types=["voluntary_assisted"], funders=["FI"]
            ),
            benefit_event(self.programme, "cash"),
            benefit_event(self.cash_programme, "cash"),
            benefit_event(self.cash_programme, "in_kind"),
            *[term_event(code, dimension) for code, dimension in TERMS.items()],
        ]

    async def load(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        for event in self.events():
            async with sessions() as session, session.begin():
                await apply_registry_event(session, event)


def case_body(marker: str = "", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gender": "female",
        "age_band": "25-34",
        "governorate_code": "IQ-AR",
        "country_returned_from": "SE",
        "return_type": "voluntary_assisted",
        "arrival_date": "2025-01-10",
        "household_size": 3,
        "personal": {
            "identity_contact": {
                "given_name": f"Fakename{marker}",
                "family_name": f"Testsson{marker}",
                "date_of_birth": "1990-02-03",
                "phone": f"+964750{marker}",
                "address": f"Invented street {marker}",
            },
            "documents": {"document_type": "passport", "document_number": f"DOC{marker}"},
            "vulnerabilities": {"flags": ["health"], "details": f"vuln{marker}"},
            "notes": f"notes{marker}",
        },
    }
    body.update(overrides)
    return body


def grant(
    categories: list[str], *, orgs: list[uuid.UUID] = (), codes: list[str] = (), **extra: Any
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "purposes": ["referral"],
        "data_categories": categories,
        "recipient_org_ids": [str(o) for o in orgs],
        "recipient_categories": list(codes),
        "obtained_how": "verbal",
        "information_language": "ckb",
        "information_version": "2025-01",
        **extra,
    }


class Api:
    """The service over HTTP, with a token per demo user."""

    def __init__(self, client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def h(self, user: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}", **extra}

    async def post(self, user: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.client.post("/v1" + path, json=body, headers=self.h(user, **headers))

    async def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return await self.client.get("/v1" + path, params=params, headers=self.h(user))

    async def open_case(
        self, user: str = "counsellor.erbil", marker: str = "", **overrides: Any
    ) -> dict[str, Any]:
        r = await self.post(user, "/cases", case_body(marker, **overrides))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def consent(
        self, case_id: str, body: dict[str, Any], user: str = "counsellor.erbil"
    ) -> dict[str, Any]:
        r = await self.post(user, f"/cases/{case_id}/consent", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def refer(
        self,
        case_id: str,
        service_id: uuid.UUID,
        categories: list[str],
        user: str = "counsellor.erbil",
        **extra: Any,
    ) -> httpx.Response:
        return await self.post(
            user,
            f"/cases/{case_id}/referrals",
            {"service_id": str(service_id), "data_categories": categories, **extra},
        )
