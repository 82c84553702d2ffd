"""GET /v1/services: the directory search every counsellor uses."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AfterValidator

from services.registry.common.codes import CountryCode, DistrictCode, LanguageCode, governorate_code
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.directory.freshness import stale_before
from services.registry.directory.models import ServiceStatus
from services.registry.organizations.models import OrganizationKind
from services.registry.places import catalogue
from services.registry.search import repository
from services.registry.search.normalise import query_words
from services.registry.search.schemas import (
    CapacityView,
    OrganizationRef,
    SearchFilters,
    ServiceHit,
    SortOrder,
)
from services.registry.taxonomy import repository as taxonomy
from services.registry.taxonomy.models import Dimension
from shared.auth import authenticated_router
from shared.errors import InvalidField
from shared.ratelimit import rate_limited

router = authenticated_router(prefix="/services", tags=["services"])


def _region_or_governorate(value: str) -> str:
    code = value.strip().upper()
    return catalogue.KURDISTAN_REGION if code == catalogue.KURDISTAN_REGION else governorate_code(code)


PlaceFilter = Annotated[str, AfterValidator(_region_or_governorate)]


@router.get(
    "",
    summary="Search the directory",
    description=(
        "Words (q) are matched in English, Arabic and Sorani names, descriptions, the provider's name, "
        "taxonomy terms and place names, after normalising Arabic script (alef, yeh, kaf, teh marbuta, "
        "Kurdish letters, diacritics), so a service is found however it was typed. Every word must occur. "
        "Filters combine with AND; the values of one filter with OR. The order is stable: ties are broken "
        "by id. Stale services (not confirmed for the configured number of days) are flagged. "
        "Each caller may search a limited number of times per minute; more get 429 with Retry-After."
    ),
    dependencies=[Depends(rate_limited("search"))],
    responses={429: {"description": "Too many searches from this caller (problem details, Retry-After)."}},
)
async def search_services(
    session: Session,
    request: Request,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Words to find, any language.")] = None,
    governorate: Annotated[
        list[PlaceFilter] | None,
        Query(description="ISO 3166-2:IQ code, IQ-HAL, or IQ-KR (the Kurdistan Region)."),
    ] = None,
    district: Annotated[list[DistrictCode] | None, Query()] = None,
    taxonomy_term: Annotated[list[str] | None, Query(description="Taxonomy term code.")] = None,
    dimension: Annotated[list[Dimension] | None, Query()] = None,
    language: Annotated[list[LanguageCode] | None, Query(description="ISO 639 code spoken by staff.")] = None,
    accepts_referrals: bool | None = None,
    has_capacity: Annotated[bool | None, Query(description="true: open places now.")] = None,
    programme_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    funder: Annotated[
        list[CountryCode] | None, Query(description="Funder country of a programme funding the service.")
    ] = None,
    organization_kind: Annotated[list[OrganizationKind] | None, Query()] = None,
    organization_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    status: Annotated[list[ServiceStatus] | None, Query()] = None,
    stale: bool | None = None,
    sort: SortOrder = SortOrder.relevance,
) -> Page[ServiceHit]:
    if taxonomy_term:
        known = await taxonomy.active_ids_by_code(session, taxonomy_term)
        unknown = [
            (f"#query/taxonomy_term/{i}", f"{c!r} is not an active taxonomy term code")
            for i, c in enumerate(taxonomy_term)
            if c not in known
        ]
        if unknown:
            raise InvalidField(unknown)
    filters = SearchFilters(
        words=query_words(q),
        governorates=sorted({g for code in governorate or [] for g in catalogue.expand_region(code)}),
        districts=list(district or []),
        term_codes=list(taxonomy_term or []),
        dimensions=[d.value for d in dimension or []],
        languages=list(language or []),
        accepts_referrals=accepts_referrals,
        has_capacity=has_capacity,
        programme_ids=list(programme_id or []),
        funders=list(funder or []),
        organization_kinds=[k.value for k in organization_kind or []],
        organization_ids=list(organization_id or []),
        statuses=[s.value for s in status or []],
        stale=stale,
    )
    threshold = stale_before(request.app.state.settings.stale_after_days)
    rows, total = await repository.search(session, filters, sort, threshold, paging.offset, paging.per_page)
    hits = [
        ServiceHit(
            id=s.service_id,
            name=s.name,
            organization=OrganizationRef(
                id=s.organization_id, name=s.organization_name, kind=s.organization_kind
            ),
            status=s.status,
            accepts_referrals=s.accepts_referrals,
            capacity=CapacityView(
                open_places=s.open_places, waitlist_length=s.waitlist_length, updated_at=s.capacity_updated_at
            ),
            languages=s.languages,
            taxonomy_terms=s.term_codes,
            dimensions=s.dimensions,
            governorates=s.governorates,
            programme_ids=s.programme_ids,
            stale=bool(s.stale),
            assured_at=s.assured_at,
            updated_at=s.updated_at,
        )
        for s in rows
    ]
    return Page[ServiceHit].of(hits, paging, total)
