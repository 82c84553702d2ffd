"""A large synthetic directory for benchmarks: 10 000 services across every governorate.

Clearly synthetic: every organization is named "Synthetic provider NNNN", every service description
starts with "[Synthetic]" and says it is benchmark data, and every id is a uuid5 under
``urn:hawkari:synthetic:``. The texts are built from the real taxonomy and place names in English,
Arabic and Sorani (with some Arabic-keyboard spellings of Sorani), so text search meets the same
scripts and lengths as in the field.

It is loaded in bulk (not through the service layer: no events, no history, it is not a change
anybody made), but the search rows come from the same ``search.indexer.build_row`` the service layer
uses. Load it into a migrated database in which the demo seed has run (it needs the taxonomy).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.directory.models import Service, service_area, service_location, service_taxonomy_term
from services.registry.directory.repository import link_id
from services.registry.locations.models import Location
from services.registry.organizations.models import Organization, OrganizationKind
from services.registry.places import catalogue
from services.registry.programmes.models import Programme, programme_implementer, programme_service
from services.registry.search.indexer import ServiceDoc, TermDoc, build_row, vocabulary
from services.registry.search.models import SearchWord, ServiceSearch
from services.registry.search.normalise import normalise
from services.registry.seed import TERMS, demo_id
from shared.db import create_engine, utcnow

MARK = "[Synthetic]"
NOTE = {
    "en": "Synthetic record for benchmarks; not a real service.",
    "ar": "سجل اصطناعي لقياس الأداء؛ ليس خدمة حقيقية.",
    "ckb": "تۆمارێکی دەستکرد بۆ پێوانەکردن؛ خزمەتگوزارییەکی ڕاستەقینە نییە.",
}

# Phrases the descriptions are built from, per language: (en, ar, ckb).
FOR_WHOM = [
    ("for young returnees", "للعائدين الشباب", "بۆ گەنجانی گەڕاوە"),
    (
        "for women returning with children",
        "للنساء العائدات مع أطفالهن",
        "بۆ ئافرەتانی گەڕاوە لەگەڵ منداڵەکانیان",
    ),
    ("for families after return", "للأسر بعد العودة", "بۆ خێزانەکان دوای گەڕانەوە"),
    ("for returnees from Europe", "للعائدين من أوروبا", "بۆ گەڕاوەکان لە ئەوروپاوە"),
    ("in the first months after arrival", "في الأشهر الأولى بعد الوصول", "لە مانگەکانی یەکەمی دوای گەیشتن"),
]
HOW = [
    (
        "Individual sessions and group meetings.",
        "جلسات فردية ولقاءات جماعية.",
        "دانیشتنی تاکەکەسی و کۆبوونەوەی گرووپی.",
    ),
    (
        "Appointments by phone or walk-in.",
        "المواعيد عبر الهاتف أو بالحضور المباشر.",
        "کاتی دیاریکراو بە تەلەفۆن یان ڕاستەوخۆ.",
    ),
    (
        "Referral from a migrant resource centre is welcome.",
        "نرحب بالإحالة من مراكز موارد المهاجرين.",
        "ناردن لە سەنتەری کۆچبەرانەوە بەخێربێت.",
    ),
    (
        "Staff speak Arabic and Kurdish.",
        "يتحدث الموظفون العربية والكردية.",
        "ستافەکە بە عەرەبی و کوردی قسە دەکەن.",
    ),
]
# Sorani as often typed on an Arabic keyboard: the search must fold these to the same form.
ARABIC_KEYBOARD = str.maketrans({"ێ": "ي", "ۆ": "و", "ڕ": "ر", "ڵ": "ل", "ە": "ه", "ی": "ي", "ک": "ك"})
LANGUAGE_SETS = [
    ["ar"],
    ["ckb"],
    ["ar", "ckb"],
    ["ckb", "kmr"],
    ["ar", "en"],
    ["ar", "ckb", "en"],
    ["kmr", "ar"],
]
KINDS = [k for k in OrganizationKind if k != OrganizationKind.coordination_body]
FUNDERS = [["SE"], ["NO"], ["DK"], ["FI"], ["SE", "NO"], ["EU"]]


def sid(kind: str, n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hawkari:synthetic:{kind}:{n}")


@dataclass
class Directory:
    organizations: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    service_terms: list[dict[str, Any]] = field(default_factory=list)
    service_locations: list[dict[str, Any]] = field(default_factory=list)
    service_areas: list[dict[str, Any]] = field(default_factory=list)
    programmes: list[dict[str, Any]] = field(default_factory=list)
    programme_services: list[dict[str, Any]] = field(default_factory=list)
    programme_implementers: list[dict[str, Any]] = field(default_factory=list)
    search_rows: list[dict[str, Any]] = field(default_factory=list)


def generate(n_services: int = 10_000, seed: int = 42) -> Directory:
    """The rows of a synthetic directory; the same ``seed`` gives the same directory."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, nothing secret
    now = utcnow()
    govs = list(catalogue.governorates().values())
    districts_of: dict[str, list[str]] = {}
    for d in catalogue.districts().values():
        districts_of.setdefault(d.governorate_code, []).append(d.code)
    terms = [(demo_id("term", code), code, dimension, name) for code, dimension, name in TERMS]
    out = Directory()

    n_orgs = max(1, n_services // 10)
    org_places: dict[uuid.UUID, list[tuple[uuid.UUID, str, str | None]]] = {}
    org_meta: dict[uuid.UUID, tuple[str, dict[str, str]]] = {}
    for i in range(n_orgs):
        oid = sid("organization", i)
        kind = rnd.choice(KINDS).value
        name = {
            "en": f"Synthetic provider {i:04d}",
            "ar": f"مزود اصطناعي {i:04d}",
            "ckb": f"دابینکەری دەستکرد {i:04d}",
        }
        out.organizations.append(
            {
                "id": oid,
                "kind": kind,
                "name": name,
                "description": NOTE,
                "search_text": normalise(" ".join(name.values())),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        org_meta[oid] = (kind, name)
        org_places[oid] = []
        for j in range(rnd.choice((1, 1, 2))):
            gov = rnd.choice(govs)
            district = (
                rnd.choice(districts_of[gov.code])
                if gov.code in districts_of and rnd.random() < 0.6
                else None
            )
            lid = sid("location", i * 10 + j)
            out.locations.append(
                {
                    "id": lid,
                    "organization_id": oid,
                    "location_type": "physical",
                    "name": {
                        "en": f"Synthetic provider {i:04d}, {gov.name_en}",
                        "ar": f"مزود اصطناعي - {gov.name_ar}",
                    },
                    "description": {},
                    "address": f"{gov.name_en} (synthetic address)",
                    "governorate_code": gov.code,
                    "district_code": district,
                    "latitude": None,
                    "longitude": None,
                    "url": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            org_places[oid].append((lid, gov.code, district))

    org_ids = list(org_meta)
    for n in range(n_services):
        service_id = sid("service", n)
        oid = org_ids[n % n_orgs]
        chosen = rnd.sample(terms, k=rnd.choice((1, 1, 2, 3)))
        term_name = chosen[0][3]
        place = rnd.choice(govs)
        whom = rnd.choice(FOR_WHOM)
        how = rnd.sample(HOW, k=2)
        ckb_name = f"{term_name['ckb']} {whom[2]} - {place.name_ckb}"
        if rnd.random() < 0.3:
            ckb_name = ckb_name.translate(ARABIC_KEYBOARD)
        name = {
            "en": f"{term_name['en']} {whom[0]} – {place.name_en}",
            "ar": f"{term_name['ar']} {whom[1]} - {place.name_ar}",
            "ckb": ckb_name,
        }
        description = {
            lang: f"{MARK} {NOTE[lang]} " + " ".join(h[k] for h in how)
            for k, lang in enumerate(("en", "ar", "ckb"))
        }
        languages = rnd.choice(LANGUAGE_SETS)
        open_places = rnd.choice((None, 0, 0, 1, 2, 3, 5, 8, 12, 20))
        waitlist = rnd.choice((None, 0, 2, 6)) if open_places == 0 else None
        assured = now - timedelta(days=rnd.randint(0, 400))
        updated = now - timedelta(days=rnd.randint(0, 60), seconds=n)
        locations = org_places[oid] if rnd.random() < 0.7 else []
        areas: list[tuple[str, str | None]] = []
        if rnd.random() < 0.8:
            areas.append((place.code, None))
            for _ in range(rnd.choice((0, 0, 1, 2))):
                extra = rnd.choice(govs)
                sub = districts_of.get(extra.code)
                areas.append((extra.code, rnd.choice(sub) if sub and rnd.random() < 0.5 else None))
        areas = list(dict.fromkeys(areas))
        out.services.append(
            {
                "id": service_id,
                "organization_id": oid,
                "status": "active" if rnd.random() < 0.95 else "temporarily closed",
                "name": name,
                "description": description,
                "application_process": {},
                "fees_description": {},
                "languages": languages,
                "required_documents": [],
                "accepts_referrals": rnd.random() < 0.85,
                "referral_response_hours": rnd.choice((48, 72, 168)),
                "open_places": open_places,
                "waitlist_length": waitlist,
                "capacity_updated_at": updated,
                "assured_at": assured,
                "assured_by": "synthetic",
                "email": None,
                "url": None,
                "version": 1,
                "created_at": updated,
                "updated_at": updated,
            }
        )
        for tid, *_ in chosen:
            out.service_terms.append({"service_id": service_id, "taxonomy_term_id": tid})
        for lid, _, _ in locations:
            out.service_locations.append(
                {"id": link_id(service_id, "location", lid), "service_id": service_id, "location_id": lid}
            )
        for area_code, district in areas:
            out.service_areas.append(
                {
                    "id": link_id(service_id, "area", area_code, district or ""),
                    "service_id": service_id,
                    "governorate_code": area_code,
                    "district_code": district,
                }
            )
        kind, org_name = org_meta[oid]
        out.search_rows.append(
            {
                "doc": ServiceDoc(
                    id=service_id,
                    organization_id=oid,
                    organization_kind=kind,
                    organization_name=org_name,
                    name=name,
                    description=description,
                    status=out.services[-1]["status"],
                    active=True,
                    accepts_referrals=out.services[-1]["accepts_referrals"],
                    open_places=open_places,
                    waitlist_length=waitlist,
                    capacity_updated_at=updated,
                    languages=languages,
                    assured_at=assured,
                    updated_at=updated,
                    terms=[TermDoc(c, nm, dim) for _, c, dim, nm in chosen],
                    places=areas + [(g, d) for _, g, d in locations],
                )
            }
        )

    # A few programmes, each funding a slice of the services.
    for p in range(24):
        pid = sid("programme", p)
        funders = FUNDERS[p % len(FUNDERS)]
        start = date(2020, 1, 1) + timedelta(days=90 * p)
        out.programmes.append(
            {
                "id": pid,
                "name": {"en": f"Synthetic programme {p:02d}"},
                "description": NOTE,
                "funder_countries": funders,
                "funding_instruments": ["oda"],
                "thematic_areas": ["return_reintegration"],
                "target_group": "all_eu_returnees",
                "eligible_return_types": ["voluntary_assisted", "self_initiated"],
                "starts_on": start,
                "ends_on": start + timedelta(days=3 * 365),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        out.programme_implementers.append({"programme_id": pid, "organization_id": org_ids[p % n_orgs]})
        funded = rnd.sample(range(n_services), k=max(1, n_services // 40))
        for n in funded:
            out.programme_services.append({"programme_id": pid, "service_id": sid("service", n)})
            out.search_rows[n]["doc"].programmes.append((pid, funders))

    out.search_rows = [build_row(r["doc"]) for r in out.search_rows]
    return out


async def _insert(
    conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]], batch: int = 1000
) -> None:
    for start in range(0, len(rows), batch):
        await conn.execute(sa.insert(table), rows[start : start + batch])


async def load(database_url: str, n_services: int = 10_000, seed: int = 42) -> Directory:
    """Insert a synthetic directory of ``n_services`` into a migrated, seeded registry database."""
    directory = generate(n_services, seed)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await _insert(conn, Organization.__table__, directory.organizations)
            await _insert(conn, Location.__table__, directory.locations)
            await _insert(conn, Service.__table__, directory.services)
            await _insert(conn, service_taxonomy_term, directory.service_terms)
            await _insert(conn, service_location, directory.service_locations)
            await _insert(conn, service_area, directory.service_areas)
            await _insert(conn, Programme.__table__, directory.programmes)
            await _insert(conn, programme_implementer, directory.programme_implementers)
            await _insert(conn, programme_service, directory.programme_services)
            await _insert(conn, ServiceSearch.__table__, directory.search_rows)
            # The seed wrote some words already; ON CONFLICT keeps them.
            words = vocabulary(directory.search_rows)
            for start in range(0, len(words), 1000):
                await conn.execute(
                    pg_insert(SearchWord).values(words[start : start + 1000]).on_conflict_do_nothing()
                )
        async with engine.connect() as conn:
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that
            # lets counts use index-only scans.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return directory
