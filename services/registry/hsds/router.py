"""The HSDS 3.0 read API under /hsds: /, /services, /organizations, /taxonomies, /taxonomy_terms,
/service_at_locations (with HSDS's page, per_page, search, format and filters), and the profile."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.registry.common.model import Session
from services.registry.hsds import mapping, repository
from services.registry.taxonomy.models import TAXONOMY_ID
from shared.auth import authenticated_router
from shared.errors import InvalidField, NotFound

PROFILE_DIR = Path(__file__).parent / "profile"
PROFILE_NAME = "hawkari-reintegration"

Lang = Annotated[
    Literal["en", "ar", "ckb"],
    Query(description="Language of the text fields; the others go in translations."),
]
PageNo = Annotated[int, Query(ge=1, description="Page number, from 1.")]
PerPage = Annotated[int | None, Query(ge=1, description="Results per page.")]
Format = Annotated[Literal["json", "ndjson"], Query(description="ndjson streams every result, unpaged.")]
Search = Annotated[str | None, Query(max_length=200, description="Words, in any of the three languages.")]


@cache
def profile_files() -> dict[str, Any]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(PROFILE_DIR.glob("*.json"))}


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _per_page(request: Request, per_page: int | None) -> int:
    settings = _settings(request)
    size = per_page or settings.default_page_size
    if size > settings.max_page_size:
        raise InvalidField("#query/per_page", f"must be at most {settings.max_page_size}")
    return size


def _listing(
    request: Request, items: list[dict[str, Any]], total: int, page: int, per_page: int, fmt: str
) -> Response:
    if fmt == "ndjson":
        body = "".join(json.dumps(i, ensure_ascii=False, separators=(",", ":")) + "\n" for i in items)
        return Response(body.encode(), media_type="application/x-ndjson")
    return JSONResponse(mapping.page(items, total=total, page_number=page, per_page=per_page))


def make_router(*, public: bool) -> APIRouter:
    router = APIRouter(tags=["hsds"]) if public else authenticated_router(tags=["hsds"])

    @router.get("/", summary="About this HSDS API")
    async def about(request: Request) -> dict[str, str]:
        base = _settings(request).public_url.rstrip("/")
        return {
            "version": mapping.HSDS_VERSION,
            "profile": f"{base}/hsds/profile",
            "openapi_url": f"{base}/openapi.json",
        }

    @router.get(
        "/profile", summary="The Hawkari reintegration profile: JSON Merge Patches on HSDS 3.0 schemas"
    )
    async def profile(request: Request) -> dict[str, Any]:
        base = _settings(request).public_url.rstrip("/")
        return {
            "name": PROFILE_NAME,
            "hsds_version": mapping.HSDS_VERSION,
            "description": (
                "Reintegration additions to HSDS 3.0, as RFC 7396 JSON Merge Patches on the named schema "
                "files."
            ),
            "patches": {name: f"{base}/hsds/profile/{name}" for name in profile_files()},
        }

    @router.get("/profile/{name}", summary="One profile patch")
    async def profile_file(name: str) -> dict[str, Any]:
        files = profile_files()
        if name not in files:
            raise NotFound(f"No profile patch {name}.")
        return dict(files[name])

    @router.get("/services", summary="Paginated services (one-to-one fields; full=true nests everything)")
    async def services(
        request: Request,
        session: Session,
        search: Search = None,
        page: PageNo = 1,
        per_page: PerPage = None,
        format: Format = "json",
        taxonomy_term_id: uuid.UUID | None = None,
        taxonomy_id: uuid.UUID | None = None,
        organization_id: uuid.UUID | None = None,
        modified_after: datetime | None = None,
        minimal: bool = False,
        full: bool = False,
        lang: Lang = "en",
    ) -> Response:
        size = _per_page(request, per_page)
        settings = _settings(request)
        if taxonomy_id is not None and taxonomy_id != TAXONOMY_ID:
            rows, total = [], 0  # another taxonomy: nothing of ours
        else:
            rows, total = await repository.services_page(
                session,
                search=search,
                taxonomy_term_id=taxonomy_term_id,
                organization_id=organization_id,
                modified_after=modified_after,
                offset=0 if format == "ndjson" else (page - 1) * size,
                limit=None if format == "ndjson" else size,
            )
        if minimal:
            items = [{"id": str(s.id), "last_modified": s.updated_at.isoformat()} for s in rows]
        else:
            b = await repository.bundle(session, rows, full=full)
            items = [
                mapping.service_full(s, b, lang, settings.stale_after_days, settings.public_url)
                if full
                else mapping.service(s, b, lang, settings.stale_after_days)
                for s in rows
            ]
        return _listing(request, items, total, page, size, format)

    @router.get("/services/{service_id}", summary="One fully nested service")
    async def service(
        request: Request, session: Session, service_id: uuid.UUID, lang: Lang = "en"
    ) -> dict[str, Any]:
        from services.registry.directory import repository as directory

        svc = await directory.get(session, service_id)
        if svc is None:
            raise NotFound(f"No service {service_id}.")
        settings = _settings(request)
        b = await repository.bundle(session, [svc], full=True)
        return mapping.service_full(svc, b, lang, settings.stale_after_days, settings.public_url)

    @router.get("/organizations", summary="Paginated organizations")
    async def organizations(
        request: Request,
        session: Session,
        search: Search = None,
        page: PageNo = 1,
        per_page: PerPage = None,
        format: Format = "json",
        full: bool = False,
        full_service: bool = False,
        lang: Lang = "en",
    ) -> Response:
        size = _per_page(request, per_page)
        rows, total = await repository.organizations_page(
            session,
            search=search,
            offset=0 if format == "ndjson" else (page - 1) * size,
            limit=None if format == "ndjson" else size,
        )
        if full:
            items = [await _organization_full(request, session, o, lang, full_service) for o in rows]
        else:
            items = [mapping.organization(o, lang) for o in rows]
        return _listing(request, items, total, page, size, format)

    @router.get(
        "/organizations/{organization_id}", summary="One organization with its services, locations, programs"
    )
    async def organization(
        request: Request,
        session: Session,
        organization_id: uuid.UUID,
        full_service: bool = False,
        lang: Lang = "en",
    ) -> dict[str, Any]:
        org = await repository.organization(session, organization_id)
        if org is None:
            raise NotFound(f"No organization {organization_id}.")
        return await _organization_full(request, session, org, lang, full_service)

    @router.get("/taxonomies", summary="Paginated taxonomies (the registry has one)")
    async def taxonomies(
        request: Request,
        search: Search = None,
        page: PageNo = 1,
        per_page: PerPage = None,
        format: Format = "json",
    ) -> Response:
        size = _per_page(request, per_page)
        doc = mapping.taxonomy(_settings(request).public_url)
        from services.registry.search.normalise import normalise, tokens

        words = tokens(search)
        found = [doc] if all(w in normalise(f"{doc['name']} {doc['description']}") for w in words) else []
        shown = found if format == "ndjson" or page == 1 else []
        return _listing(request, shown[:size], len(found), page, size, format)

    @router.get("/taxonomies/{taxonomy_id}", summary="One taxonomy")
    async def taxonomy(request: Request, taxonomy_id: uuid.UUID) -> dict[str, Any]:
        if taxonomy_id != TAXONOMY_ID:
            raise NotFound(f"No taxonomy {taxonomy_id}.")
        return mapping.taxonomy(_settings(request).public_url)

    @router.get("/taxonomy_terms", summary="Paginated taxonomy terms")
    async def taxonomy_terms(
        request: Request,
        session: Session,
        search: Search = None,
        page: PageNo = 1,
        per_page: PerPage = None,
        format: Format = "json",
        taxonomy_id: uuid.UUID | None = None,
        top_only: bool = False,
        parent_id: uuid.UUID | None = None,
        lang: Lang = "en",
    ) -> Response:
        size = _per_page(request, per_page)
        if taxonomy_id is not None and taxonomy_id != TAXONOMY_ID:
            rows, total = [], 0  # another taxonomy: nothing of ours
        else:
            rows, total = await repository.terms_page(
                session,
                search=search,
                parent_id=parent_id,
                top_only=top_only,
                offset=0 if format == "ndjson" else (page - 1) * size,
                limit=None if format == "ndjson" else size,
            )
        public_url = _settings(request).public_url
        return _listing(
            request, [mapping.taxonomy_term(t, lang, public_url) for t in rows], total, page, size, format
        )

    @router.get("/taxonomy_terms/{term_id}", summary="One taxonomy term")
    async def taxonomy_term(
        request: Request, session: Session, term_id: uuid.UUID, lang: Lang = "en"
    ) -> dict[str, Any]:
        term = await repository.term(session, term_id)
        if term is None:
            raise NotFound(f"No taxonomy term {term_id}.")
        return mapping.taxonomy_term(term, lang, _settings(request).public_url)

    @router.get("/service_at_locations", summary="Paginated services at locations")
    async def service_at_locations(
        request: Request,
        session: Session,
        search: Search = None,
        taxonomy_term_id: uuid.UUID | None = None,
        taxonomy_id: uuid.UUID | None = None,
        organization_id: uuid.UUID | None = None,
        modified_after: datetime | None = None,
        full: bool = False,
        page: PageNo = 1,
        per_page: PerPage = None,
        format: Format = "json",
        lang: Lang = "en",
    ) -> Response:
        size = _per_page(request, per_page)
        settings = _settings(request)
        if taxonomy_id is not None and taxonomy_id != TAXONOMY_ID:
            rows, total = [], 0  # another taxonomy: nothing of ours
        else:
            rows, total = await repository.service_at_locations_page(
                session,
                search=search,
                taxonomy_term_id=taxonomy_term_id,
                organization_id=organization_id,
                modified_after=modified_after,
                offset=0 if format == "ndjson" else (page - 1) * size,
                limit=None if format == "ndjson" else size,
            )
        b = await repository.bundle(session, [svc for _, svc, _ in rows], full=False)
        items = [
            mapping.service_at_location(link, svc, loc, b, lang, settings.stale_after_days, full=full)
            for link, svc, loc in rows
        ]
        return _listing(request, items, total, page, size, format)

    @router.get("/service_at_locations/{link_id}", summary="One service at a location")
    async def service_at_location(
        request: Request, session: Session, link_id: uuid.UUID, lang: Lang = "en"
    ) -> dict[str, Any]:
        found = await repository.service_at_location(session, link_id)
        if found is None:
            raise NotFound(f"No service at location {link_id}.")
        link, svc, loc = found
        b = await repository.bundle(session, [svc], full=False)
        return mapping.service_at_location(
            link, svc, loc, b, lang, _settings(request).stale_after_days, full=True
        )

    return router


async def _organization_full(
    request: Request, session: Any, org: Any, lang: str, full_service: bool
) -> dict[str, Any]:
    settings = _settings(request)
    services = await repository.services_of(session, org.id)
    b = await repository.bundle(session, services, full=full_service)
    service_docs = [
        mapping.service_full(s, b, lang, settings.stale_after_days, settings.public_url)
        if full_service
        else mapping.service(s, b, lang, settings.stale_after_days)
        for s in services
    ]
    return mapping.organization_full(
        org,
        lang,
        services=service_docs,
        locations=await repository.locations_of(session, org.id),
        programmes=await repository.programmes_implemented_by(session, org.id),
    )
