"""Every query of the dashboards: the directory facts a snapshot needs, and coverage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

MRC_KIND = "migrant_resource_centre"
PSYCHOSOCIAL_DIMENSION = "psychosocial"


@dataclass(frozen=True)
class ProgrammeInfo:
    id: str
    name: str
    active: bool
    funder_countries: tuple[str, ...]
    funding_instruments: tuple[str, ...]
    thematic_areas: tuple[str, ...]
    target_group: str
    eligible_return_types: tuple[str, ...]
    starts_on: date
    ends_on: date | None
    implementing_organization_ids: tuple[str, ...]


@dataclass
class Directory:
    programmes: dict[str, ProgrammeInfo] = field(default_factory=dict)
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    funders: set[str] = field(default_factory=set)
    mrc_governorates: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    psychosocial_governorates: set[str] = field(default_factory=set)
    # funder key ('NO+SE') -> the programmes with exactly those funders ('' -> referrals without one)
    funder_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    # (governorate, term, programme id) -> services that programme funds there
    funded_cells: dict[tuple[str, str, str], int] = field(default_factory=dict)


async def load_directory(conn: AsyncConnection) -> Directory:
    d = Directory()
    for r in (await conn.execute(sa.text("SELECT * FROM programme ORDER BY starts_on, name, id"))).mappings():
        info = ProgrammeInfo(
            id=str(r["id"]),
            name=r["name"],
            active=r["active"],
            funder_countries=tuple(r["funder_countries"]),
            funding_instruments=tuple(r["funding_instruments"]),
            thematic_areas=tuple(r["thematic_areas"]),
            target_group=r["target_group"],
            eligible_return_types=tuple(r["eligible_return_types"]),
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            implementing_organization_ids=tuple(str(i) for i in r["implementing_organization_ids"]),
        )
        d.programmes[info.id] = info
        d.funders.update(info.funder_countries)
    groups: dict[str, set[str]] = defaultdict(set, {"": {""}})
    for info in d.programmes.values():
        groups["+".join(sorted(set(info.funder_countries)))].add(info.id)
    d.funder_groups = {f: frozenset(ps) for f, ps in groups.items()}
    for r in (
        await conn.execute(sa.text("SELECT id, name, kind, country_code, active FROM organization"))
    ).all():
        d.organizations[str(r.id)] = {
            "name": r.name,
            "kind": r.kind,
            "country_code": r.country_code,
            "active": r.active,
        }
    for r in (await conn.execute(sa.text("SELECT code, name, dimension, active FROM taxonomy_term"))).all():
        # A code reused by a newer term: keep the active one.
        if r.code not in d.terms or r.active:
            d.terms[r.code] = {"name": r.name, "dimension": r.dimension, "active": r.active}
    mrc = await conn.execute(
        sa.text(
            """
            SELECT o.id, l.governorate_code AS governorate FROM organization o
            JOIN location l ON l.organization_id = o.id AND l.active AND l.governorate_code IS NOT NULL
            WHERE o.active AND o.kind = :kind
            UNION
            SELECT o.id, c.governorate_code FROM organization o
            JOIN service s ON s.organization_id = o.id AND s.active AND s.status = 'active'
            JOIN service_cell c ON c.service_id = s.id
            WHERE o.active AND o.kind = :kind
            """
        ),
        {"kind": MRC_KIND},
    )
    for r in mrc.all():
        d.mrc_governorates[str(r.id)].add(r.governorate)
    psych = await conn.execute(
        sa.text(
            """
            SELECT DISTINCT c.governorate_code FROM service_cell c
            JOIN service s ON s.id = c.service_id AND s.active AND s.status = 'active'
            JOIN taxonomy_term t ON t.code = c.term_code AND t.active AND t.dimension = :dim
            """
        ),
        {"dim": PSYCHOSOCIAL_DIMENSION},
    )
    d.psychosocial_governorates = {r[0] for r in psych.all()}
    funded = await conn.execute(
        sa.text(
            """
            SELECT c.governorate_code, c.term_code, ps.programme_id, count(DISTINCT c.service_id)
            FROM service_cell c
            JOIN service s ON s.id = c.service_id AND s.active AND s.status = 'active'
            JOIN programme_service ps ON ps.service_id = c.service_id
            GROUP BY 1, 2, 3
            """
        )
    )
    d.funded_cells = {(r[0], r[1], str(r[2])): int(r[3]) for r in funded.all()}
    return d


@dataclass(frozen=True)
class CoverageQuery:
    level: str  # governorate | district
    group: str  # term | dimension
    governorate: str | None
    term: str | None
    programme_ids: tuple[str, ...] | None  # None: no programme filter at all


async def coverage(
    conn: AsyncConnection, q: CoverageQuery
) -> tuple[list[sa.Row[Any]], dict[tuple[str, str, str], list[str]]]:
    district = "c.district_code" if q.level == "district" else "''"
    grp = "c.term_code" if q.group == "term" else "coalesce(t.dimension, '')"
    where = ["s.active", "s.status = 'active'"]
    params: dict[str, Any] = {}
    if q.governorate:
        where.append("c.governorate_code = :gov")
        params["gov"] = q.governorate
    if q.term:
        where.append("c.term_code = :term")
        params["term"] = q.term
    if q.programme_ids is not None:
        where.append(
            "c.service_id IN (SELECT service_id FROM programme_service WHERE programme_id = ANY(:progs))"
        )
        params["progs"] = [uuid.UUID(p) for p in q.programme_ids]
    cells = (  # only fixed fragments are interpolated
        f"""
        SELECT DISTINCT c.governorate_code AS governorate, {district} AS district, {grp} AS grp,
               s.id AS service_id, s.organization_id, s.open_places
        FROM service_cell c
        JOIN service s ON s.id = c.service_id
        LEFT JOIN taxonomy_term t ON t.code = c.term_code AND t.active
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    )
    rows = (
        await conn.execute(
            sa.text(
                f"""
                WITH cells AS ({cells})
                SELECT governorate, district, grp, count(*) AS services,
                       count(DISTINCT organization_id) AS providers,
                       sum(open_places) AS open_places, count(open_places) AS services_with_capacity
                FROM cells GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """  # noqa: S608 - only fixed fragments are interpolated
            ),
            params,
        )
    ).all()
    prog_filter = "" if q.programme_ids is None else "WHERE ps.programme_id = ANY(:progs)"
    funded = await conn.execute(
        sa.text(
            f"""
            WITH cells AS ({cells})
            SELECT governorate, district, grp, array_agg(DISTINCT ps.programme_id::text)
            FROM cells JOIN programme_service ps ON ps.service_id = cells.service_id
            {prog_filter}
            GROUP BY 1, 2, 3
            """  # noqa: S608
        ),
        params,
    )
    programmes = {(r[0], r[1], r[2]): sorted(r[3]) for r in funded.all()}
    return rows, programmes
