"""Queries on referrals that more than one use case needs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.cases.models import Case
from services.referrals.referrals.models import Referral

# The referrals through which a case is receiving (or has received) a service.
TAKEN_STATES = ("accepted", "in_progress", "completed")


async def taken(
    session: AsyncSession, case_id: uuid.UUID, *, exclude: uuid.UUID | None = None
) -> list[tuple[uuid.UUID | None, str | None]]:
    """(programme, taxonomy term) of the case's accepted, started or completed referrals."""
    query = sa.select(Referral.programme_id, Referral.taxonomy_term_code).where(
        Referral.case_id == case_id, Referral.status.in_(TAKEN_STATES)
    )
    if exclude is not None:
        query = query.where(Referral.id != exclude)
    rows = await session.execute(query.order_by(Referral.created_at, Referral.id))
    return [(p, t) for p, t in rows.all()]


class Record:
    """Attribute access over a database record, so the rules read it like the ORM object.

    The creation hot path reads composite rows straight from the driver: no ORM identity map,
    no per-attribute instrumentation.
    """

    __slots__ = ("_row",)

    def __init__(self, row: Mapping[str, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True, slots=True)
class CreationView:
    """Everything a new referral is checked against, read in one statement (the case locked)."""

    case: Case | None
    service: Record | None
    organization: Record | None
    programmes: list[Record]
    consent_ledger: list[Record]


_CREATION_VIEW = sa.text(
    """
    SELECT c.*,
      (SELECT s FROM replica_service s WHERE s.id = :service_id) AS _service,
      (SELECT o FROM replica_organization o JOIN replica_service s ON s.organization_id = o.id
        WHERE s.id = :service_id) AS _organization,
      ARRAY(SELECT p FROM replica_programme p
        WHERE p.active AND CAST(:service_id AS uuid) = ANY(p.service_ids)
          AND p.starts_on <= :today AND (p.ends_on IS NULL OR p.ends_on >= :today)
        ORDER BY p.id) AS _programmes,
      ARRAY(SELECT r FROM consent_record r WHERE r.case_id = c.id ORDER BY r.recorded_at, r.id)
        AS _consent
    FROM "case" c WHERE c.id = :case_id
    FOR UPDATE OF c
    """
)
_CASE_COLUMNS = tuple(c.key for c in Case.__table__.columns)


async def creation_view(
    session: AsyncSession, case_id: uuid.UUID, service_id: uuid.UUID, today: date
) -> CreationView:
    """The case (locked for the unit of work), the target service, its organization, the programmes
    funding it today and the case's consent ledger: five reads in one round trip."""
    row = (
        await session.execute(_CREATION_VIEW, {"case_id": case_id, "service_id": service_id, "today": today})
    ).first()
    if row is None:
        return CreationView(None, None, None, [], [])
    m = row._mapping
    case = Case(**{k: m[k] for k in _CASE_COLUMNS})
    service = Record(m["_service"]) if m["_service"] is not None else None
    org = Record(m["_organization"]) if m["_organization"] is not None else None
    return CreationView(
        case, service, org, [Record(p) for p in m["_programmes"]], [Record(r) for r in m["_consent"]]
    )


async def insert(session: AsyncSession, ref: Referral) -> None:
    """One INSERT of a new referral, without the ORM unit of work (it is not read back)."""
    await session.execute(_INSERT, {key: getattr(ref, key) for key in _REFERRAL_COLUMNS})


# Built once: the compiled statement is cached, only the parameters change per referral.
_INSERT = sa.insert(Referral.__table__)
_REFERRAL_COLUMNS = tuple(c.key for c in Referral.__table__.columns)
