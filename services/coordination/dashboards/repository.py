"""Every query of the dashboards (the directory facts a snapshot needs), and coverage from them."""

from __future__ import annotations

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
class CoverageCell:
    services: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    open_places: int | None = None
    services_with_capacity: int = 0
    programmes: set[str] = field(default_factory=set)
    # Its rendered row (but the caller's own programmes) and programmes per funder country, kept
    # once rendered (service.coverage_view).
    row: dict[str, Any] | None = None
    own_by_country: dict[str, int] = field(default_factory=dict)


CellKey = tuple[str, str, str]
LEVELS = ("governorate", "district")
GROUPS = ("term", "dimension")


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
    # Where and what each active service offers: (governorate, district, term, dimension, service id,
    # provider id, open places), and the programmes funding each service.
    service_cells: list[tuple[str, str, str, str, str, str, int | None]] = field(default_factory=list)
    service_programmes: dict[str, frozenset[str]] = field(default_factory=dict)
    # (governorate, term, programme id) -> services that programme funds there
    funded_cells: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # (level, group) -> the coverage cells with no programme filter, made once per snapshot.
    coverage: dict[tuple[str, str], dict[CellKey, CoverageCell]] = field(default_factory=dict)


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
    cells = await conn.execute(
        sa.text(
            """
            SELECT c.governorate_code, c.district_code, c.term_code, coalesce(t.dimension, ''), s.id::text,
                   s.organization_id::text, s.open_places
            FROM service_cell c
            JOIN service s ON s.id = c.service_id AND s.active AND s.status = 'active'
            LEFT JOIN taxonomy_term t ON t.code = c.term_code AND t.active
            ORDER BY 1, 2, 3, 5
            """
        )
    )
    d.service_cells = [tuple(r) for r in cells.all()]  # type: ignore[misc]
    links: dict[str, set[str]] = defaultdict(set)
    for r in (
        await conn.execute(sa.text("SELECT service_id::text, programme_id::text FROM programme_service"))
    ).all():
        links[r[0]].add(r[1])
    d.service_programmes = {sid: frozenset(ps) for sid, ps in links.items()}
    for level in LEVELS:
        for group in GROUPS:
            coverage_cells(d, level=level, group=group, governorate=None, term=None, programme_ids=None)
    return d


def coverage_cells(
    d: Directory,
    *,
    level: str,
    group: str,
    governorate: str | None,
    term: str | None,
    programme_ids: frozenset[str] | None,
) -> dict[CellKey, CoverageCell]:
    """Coverage from the snapshot's directory (no query). Unfiltered by programme: from the cells
    the snapshot computed once; otherwise one pass over the service cells."""
    if programme_ids is None:
        everything = d.coverage.get((level, group))
        if everything is None:
            everything = d.coverage[(level, group)] = _coverage_cells(
                d, level=level, group=group, governorate=None, term=None, programme_ids=None
            )
        if governorate is None and term is None:
            return everything
        return {
            k: c
            for k, c in everything.items()
            if (governorate is None or k[0] == governorate) and (term is None or k[2] == term)
        }
    return _coverage_cells(
        d, level=level, group=group, governorate=governorate, term=term, programme_ids=programme_ids
    )


def _coverage_cells(
    d: Directory,
    *,
    level: str,
    group: str,
    governorate: str | None,
    term: str | None,
    programme_ids: frozenset[str] | None,
) -> dict[CellKey, CoverageCell]:
    active = frozenset(p for p, info in d.programmes.items() if info.active)
    wanted = active if programme_ids is None else programme_ids
    out: dict[tuple[str, str, str], CoverageCell] = {}
    empty: frozenset[str] = frozenset()
    for gov, district, t, dim, sid, org, open_places in d.service_cells:
        if (governorate and gov != governorate) or (term and t != term):
            continue
        progs = d.service_programmes.get(sid, empty) & wanted
        if programme_ids is not None and not progs:
            continue
        cell_key = (gov, district if level == "district" else "", t if group == "term" else dim)
        cell = out.get(cell_key)
        if cell is None:
            cell = out[cell_key] = CoverageCell()
        if sid in cell.services:
            continue
        cell.services.add(sid)
        cell.providers.add(org)
        cell.programmes |= progs
        if open_places is not None:
            cell.open_places = (cell.open_places or 0) + open_places
            cell.services_with_capacity += 1
    return dict(sorted(out.items()))
