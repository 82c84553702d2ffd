"""Keep service_search in step: rebuild the rows of the services a change touches.

``build_row`` is pure, so the synthetic bulk loader computes exactly the rows the service layer
would. A service that names no area and no location is taken to serve all of Iraq, as the
entitlements answer does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.places import catalogue
from services.registry.search.models import SearchWord, ServiceSearch
from services.registry.search.normalise import index_terms, normalise, words_of


@dataclass
class TermDoc:
    code: str
    name: dict[str, str]
    dimension: str


@dataclass
class ServiceDoc:
    """Everything the search row of one service is made of."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_kind: str
    organization_name: dict[str, str]
    name: dict[str, str]
    description: dict[str, str]
    status: str
    active: bool
    accepts_referrals: bool
    open_places: int | None
    waitlist_length: int | None
    capacity_updated_at: datetime | None
    languages: list[str]
    assured_at: datetime | None
    updated_at: datetime
    terms: list[TermDoc] = field(default_factory=list)
    # (governorate, district or None) from service areas and active locations.
    places: list[tuple[str, str | None]] = field(default_factory=list)
    programmes: list[tuple[uuid.UUID, list[str]]] = field(default_factory=list)


def build_row(doc: ServiceDoc) -> dict[str, Any]:
    """The service_search row of one service."""
    places = doc.places or [(code, None) for code in catalogue.governorates()]
    governorates = sorted({g for g, _ in places})
    full = sorted({g for g, d in places if d is None})
    districts = sorted({d for _, d in places if d is not None})
    names = [*doc.name.values(), *doc.organization_name.values()]
    # Place names make "psychosocial Erbil" work; a nationwide service is not named after every place.
    place_codes = governorates + districts if doc.places else []
    words = [
        *names,
        *doc.description.values(),
        *(text for t in doc.terms for text in (t.code.replace("-", " "), *t.name.values())),
        *(name for code in place_codes for name in catalogue.place_names(code)),
    ]
    return {
        "service_id": doc.id,
        "organization_id": doc.organization_id,
        "organization_kind": doc.organization_kind,
        "organization_name": doc.organization_name,
        "name": doc.name,
        "status": doc.status,
        "active": doc.active,
        "accepts_referrals": doc.accepts_referrals,
        "open_places": doc.open_places,
        "waitlist_length": doc.waitlist_length,
        "capacity_updated_at": doc.capacity_updated_at,
        "languages": sorted(set(doc.languages)),
        "term_codes": sorted({t.code for t in doc.terms}),
        "dimensions": sorted({t.dimension for t in doc.terms}),
        "governorates": governorates,
        "full_governorates": full,
        "districts": districts,
        "programme_ids": sorted({p for p, _ in doc.programmes}),
        "funder_countries": sorted({c for _, countries in doc.programmes for c in countries}),
        "assured_at": doc.assured_at,
        "updated_at": doc.updated_at,
        "sort_name": normalise(doc.name.get("en") or next(iter(doc.name.values()), "")),
        "words": words_of(normalise(" ".join(words))),
        "name_words": words_of(normalise(" ".join(names))),
    }


async def load_docs(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[ServiceDoc]:
    # Imported here: every context calls the indexer, so the indexer must not import them at load.
    from services.registry.directory.models import (
        Service,
        service_area,
        service_location,
        service_taxonomy_term,
    )
    from services.registry.locations.models import Location
    from services.registry.organizations.models import Organization
    from services.registry.programmes.models import Programme, programme_service
    from services.registry.taxonomy.models import TaxonomyTerm

    if not ids:
        return []
    rows = await session.execute(
        select(Service, Organization.kind, Organization.name)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(ids))
    )
    docs = {
        svc.id: ServiceDoc(
            id=svc.id,
            organization_id=svc.organization_id,
            organization_kind=kind,
            organization_name=org_name,
            name=svc.name,
            description=svc.description,
            status=svc.status,
            active=svc.active,
            accepts_referrals=svc.accepts_referrals,
            open_places=svc.open_places,
            waitlist_length=svc.waitlist_length,
            capacity_updated_at=svc.capacity_updated_at,
            languages=list(svc.languages),
            assured_at=svc.assured_at,
            updated_at=svc.updated_at,
        )
        for svc, kind, org_name in rows
    }
    for sid, code, name, dimension in await session.execute(
        select(
            service_taxonomy_term.c.service_id, TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.dimension
        )
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy_term.c.taxonomy_term_id)
        .where(service_taxonomy_term.c.service_id.in_(ids), TaxonomyTerm.deactivated_at.is_(None))
    ):
        docs[sid].terms.append(TermDoc(code, name, dimension))
    for sid, gov, district in await session.execute(
        select(
            service_area.c.service_id, service_area.c.governorate_code, service_area.c.district_code
        ).where(service_area.c.service_id.in_(ids))
    ):
        docs[sid].places.append((gov, district))
    for sid, gov, district in await session.execute(
        select(service_location.c.service_id, Location.governorate_code, Location.district_code)
        .join(Location, Location.id == service_location.c.location_id)
        .where(
            service_location.c.service_id.in_(ids),
            Location.deactivated_at.is_(None),
            Location.governorate_code.is_not(None),
        )
    ):
        docs[sid].places.append((gov, district))
    for sid, pid, funders in await session.execute(
        select(programme_service.c.service_id, Programme.id, Programme.funder_countries)
        .join(Programme, Programme.id == programme_service.c.programme_id)
        .where(programme_service.c.service_id.in_(ids), Programme.deactivated_at.is_(None))
    ):
        docs[sid].programmes.append((pid, list(funders)))
    return [docs[i] for i in sorted(docs)]


def vocabulary(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The search_word rows of the words in some service_search rows."""
    found = {w for row in rows for w in row["words"]}
    return [{"word": w, "terms": sorted(index_terms(w))} for w in sorted(found)]


async def upsert_rows(session: AsyncSession, docs: Iterable[ServiceDoc]) -> None:
    rows = [build_row(d) for d in docs]
    if not rows:
        return
    statement = insert(ServiceSearch).values(rows)
    columns = {
        c.name: statement.excluded[c.name] for c in ServiceSearch.__table__.columns if c.name != "service_id"
    }
    await session.execute(statement.on_conflict_do_update(index_elements=["service_id"], set_=columns))
    words = vocabulary(rows)
    for start in range(0, len(words), 1000):
        await session.execute(insert(SearchWord).values(words[start : start + 1000]).on_conflict_do_nothing())


async def reindex_services(session: AsyncSession, ids: Iterable[uuid.UUID]) -> None:
    wanted = sorted(set(ids))
    # Small batches keep the statement under PostgreSQL's bind-parameter limit.
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        await session.flush()
        await upsert_rows(session, await load_docs(session, batch))


async def reindex_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    from services.registry.directory.models import Service

    ids = (
        await session.execute(select(Service.id).where(Service.organization_id == organization_id))
    ).scalars()
    await reindex_services(session, list(ids))


async def reindex_location(session: AsyncSession, location_id: uuid.UUID) -> None:
    from services.registry.directory.models import service_location

    ids = await session.execute(
        select(service_location.c.service_id).where(service_location.c.location_id == location_id)
    )
    await reindex_services(session, list(ids.scalars()))


async def reindex_term(session: AsyncSession, term_id: uuid.UUID) -> None:
    from services.registry.directory.models import service_taxonomy_term

    ids = await session.execute(
        select(service_taxonomy_term.c.service_id).where(service_taxonomy_term.c.taxonomy_term_id == term_id)
    )
    await reindex_services(session, list(ids.scalars()))
