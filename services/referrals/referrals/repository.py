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
from services.referrals.db import outbox
from services.referrals.referrals.models import Referral
from services.referrals.referrals.transitions import OPEN_STATES
from shared.events.contracts import EventContract
from shared.events.envelope import make_event
from shared.outbox import NOTIFY_CHANNEL
from shared.telemetry import inject_headers

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


async def open_on_consent(session: AsyncSession, case_id: uuid.UUID) -> list[Referral]:
    """The case's open referrals that rest on consent, locked: a withdrawal may revoke them."""
    rows = await session.execute(
        sa.select(Referral)
        .where(
            Referral.case_id == case_id, Referral.status.in_(OPEN_STATES), Referral.legal_basis == "consent"
        )
        .with_for_update()
    )
    return list(rows.scalars())


async def _page(
    session: AsyncSession,
    query: sa.Select[tuple[Referral, Case]],
    status: str | None,
    limit: int,
    offset: int,
) -> list[tuple[Referral, Case]]:
    if status:
        query = query.where(Referral.status == status)
    rows = await session.execute(
        query.order_by(Referral.created_at.desc(), Referral.id).limit(limit).offset(offset)
    )
    return [(r, c) for r, c in rows.all()]


def _with_case() -> sa.Select[tuple[Referral, Case]]:
    return sa.select(Referral, Case).join(Case, Case.id == Referral.case_id)


async def of_sender(
    session: AsyncSession, org_id: uuid.UUID | None, status: str | None, limit: int, offset: int
) -> list[tuple[Referral, Case]]:
    """Referrals of the cases an organization holds, newest first."""
    return await _page(session, _with_case().where(Case.owner_org_id == org_id), status, limit, offset)


async def addressed_to(
    session: AsyncSession, org_id: uuid.UUID | None, status: str | None, limit: int, offset: int
) -> list[tuple[Referral, Case]]:
    """Referrals addressed to a provider organization (never its drafts), newest first."""
    query = _with_case().where(Referral.provider_org_id == org_id, Referral.status != "draft")
    return await _page(session, query, status, limit, offset)


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


async def insert(session: AsyncSession, ref: Referral, event: EventContract | None = None) -> None:
    """Insert a new referral, and with it its outbox event, in one statement.

    Not through the ORM unit of work (the row is not read back). The event is written exactly as
    ``shared.outbox.add_event`` writes it, NOTIFY included, in data-modifying CTEs: PostgreSQL
    runs each of them once, whether or not the main query reads them.
    """
    params = {key: getattr(ref, key) for key in _REFERRAL_COLUMNS}
    if event is None:
        await session.execute(_INSERT, params)
        return
    envelope = make_event(event, subject=str(ref.id))
    params.update(
        outbox_id=envelope.id,
        outbox_subject=event.subject(str(ref.id)),
        outbox_type=envelope.type,
        outbox_envelope=envelope.model_dump(mode="json", exclude_none=True),
        outbox_headers=inject_headers(),
    )
    await session.execute(_INSERT_WITH_EVENT, params)


# Built once: the compiled statements are cached, only the parameters change per referral.
_REFERRAL_COLUMNS = tuple(c.key for c in Referral.__table__.columns)
_INSERT = sa.insert(Referral.__table__)
_INSERT_WITH_EVENT = (
    sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, ""))
    .add_cte(
        sa.insert(Referral.__table__)
        .values({key: sa.bindparam(key) for key in _REFERRAL_COLUMNS})
        .cte("new_referral")
    )
    .add_cte(
        sa.insert(outbox)
        .values(
            id=sa.bindparam("outbox_id"),
            subject=sa.bindparam("outbox_subject"),
            type=sa.bindparam("outbox_type"),
            envelope=sa.bindparam("outbox_envelope"),
            headers=sa.bindparam("outbox_headers"),
            # Python-side column defaults are not applied inside a CTE: name every column.
            created_at=sa.func.now(),
        )
        .cte("new_event")
    )
)
