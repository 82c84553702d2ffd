"""Queries on referrals that more than one use case needs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_dict

from services.referrals.audit.models import AuditPending
from services.referrals.cases.models import Case
from services.referrals.db import outbox
from services.referrals.referrals.models import Referral
from services.referrals.referrals.transitions import OPEN_STATES
from services.referrals.replica.repository import CASH_KINDS
from shared.events.contracts import EventContract
from shared.outbox import NOTIFY_CHANNEL, outbox_row

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
    """Everything a new referral is checked against, read in one statement."""

    case: Case | None
    service: Record | None
    organization: Record | None
    programmes: list[Record]
    consent_ledger: list[Record]
    # Programmes of the case's accepted, started or completed referrals, and the cash kinds
    # ("<programme id> <kind>") that these and the programmes funding the service pay.
    taken_programmes: list[uuid.UUID] = field(default_factory=list)
    cash_benefits: list[str] = field(default_factory=list)

    def cash_overlap(self, programme_id: uuid.UUID | None) -> list[str]:
        """Cash kinds ``programme_id`` pays that another programme the case already gets pays too
        (what ``replica.cash_overlap`` answers for a referral already written)."""
        others = {str(p) for p in self.taken_programmes if p != programme_id}
        if programme_id is None or not others:
            return []
        pays: dict[str, set[str]] = {}
        for item in self.cash_benefits:
            programme, kind = item.split(" ", 1)
            pays.setdefault(programme, set()).add(kind)
        return sorted(k for k in pays.get(str(programme_id), ()) if any(k in pays.get(o, ()) for o in others))


# No lock here: the write re-checks what it depends on (``write`` below).
_CREATION_VIEW = """
SELECT c.*,
  (SELECT s FROM replica_service s WHERE s.id = $2) AS _service,
  (SELECT o FROM replica_organization o JOIN replica_service s ON s.organization_id = o.id
    WHERE s.id = $2) AS _organization,
  ARRAY(SELECT p FROM replica_programme p
    WHERE p.active AND $2 = ANY(p.service_ids)
      AND p.starts_on <= $3 AND (p.ends_on IS NULL OR p.ends_on >= $3)
    ORDER BY p.id) AS _programmes,
  ARRAY(SELECT r FROM consent_record r WHERE r.case_id = c.id ORDER BY r.recorded_at, r.id) AS _consent,
  ARRAY(SELECT DISTINCT t.programme_id FROM referral t
    WHERE t.case_id = c.id AND t.status = ANY($4::text[]) AND t.programme_id IS NOT NULL) AS _taken,
  ARRAY(SELECT DISTINCT b.programme_id::text || ' ' || b.kind FROM replica_benefit b
    WHERE b.active AND b.kind = ANY($5::text[]) AND (
      b.programme_id IN (SELECT t.programme_id FROM referral t
                         WHERE t.case_id = c.id AND t.status = ANY($4::text[]))
      OR EXISTS (SELECT 1 FROM replica_programme p WHERE p.id = b.programme_id AND $2 = ANY(p.service_ids))
    )) AS _cash
FROM "case" c WHERE c.id = $1
"""
_CASE_COLUMNS = tuple(c.key for c in Case.__table__.columns)
# One column order for the write statement's names and placeholders and for its arguments.
_REFERRAL_COLUMNS = tuple(Referral.__table__.columns)
_REFERRAL_KEYS = tuple(c.key for c in _REFERRAL_COLUMNS)
M = TypeVar("M", Case, Referral)


def _unflushed(model: type[M], values: Mapping[str, Any]) -> M:
    """An instance of ``model`` holding ``values``, made the way the ORM's loader makes one: no
    constructor, no change event per attribute (building a case and a referral so was about 4 %
    of the worker's Python time under bench/referral_create.py, py-spy). For rows the creation
    path read or writes itself; such an instance is never added to a session."""
    obj: M = sa.inspect(model).class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def new_referral(**values: Any) -> Referral:
    """A referral for ``write`` to insert. Every column is present (None unless given), so no
    read of one falls through to the ORM's lazy machinery."""
    unknown = values.keys() - set(_REFERRAL_KEYS)
    if unknown:
        raise TypeError(f"not referral columns: {sorted(unknown)}")
    return _unflushed(Referral, dict.fromkeys(_REFERRAL_KEYS) | values)


async def creation_view(
    conn: asyncpg.Connection, case_id: uuid.UUID, service_id: uuid.UUID, today: date
) -> CreationView:
    """The case, the target service, its organization, the programmes funding it today, the case's
    consent ledger and what the cash-overlap signal needs: seven reads in one round trip."""
    m = await conn.fetchrow(_CREATION_VIEW, case_id, service_id, today, list(TAKEN_STATES), list(CASH_KINDS))
    if m is None:
        return CreationView(None, None, None, [], [])
    return CreationView(
        _unflushed(Case, {k: m[k] for k in _CASE_COLUMNS}),
        Record(m["_service"]) if m["_service"] is not None else None,
        Record(m["_organization"]) if m["_organization"] is not None else None,
        [Record(p) for p in m["_programmes"]],
        [Record(r) for r in m["_consent"]],
        list(m["_taken"]),
        list(m["_cash"]),
    )


def _sql_type(column: sa.Column[Any]) -> str:
    return str(column.type.compile(dialect=postgresql.dialect()))


_AUDIT_COLUMNS = tuple(c for c in AuditPending.__table__.columns if c.key != "id")
_FIRST_VALUE = 4  # $1..$3: the case guard


def _write_statement(with_event: bool) -> str:
    """One statement for the whole write: the case locked and re-checked, the referral, its audit
    entries and (when it is sent) its outbox event and NOTIFY. It writes nothing if the case is no
    longer open, changed hands or had its consent ledger changed since the view was read."""
    names = ", ".join(f'"{c.name}"' for c in _REFERRAL_COLUMNS)
    values = ", ".join(f"${i}::{_sql_type(c)}" for i, c in enumerate(_REFERRAL_COLUMNS, _FIRST_VALUE))
    n = _FIRST_VALUE + len(_REFERRAL_COLUMNS)
    audit_names = ", ".join(c.name for c in _AUDIT_COLUMNS)
    audit_types = ", ".join(f"{c.name} {_sql_type(c)}" for c in _AUDIT_COLUMNS)
    sql = f"""
WITH guard AS (
    SELECT id FROM "case"
    WHERE id = $1 AND status = 'open' AND owner_org_id = $2 AND consent_revision = $3
    FOR UPDATE
), new_referral AS (
    INSERT INTO referral ({names}) SELECT {values} FROM guard RETURNING id
), new_audit AS (
    INSERT INTO audit_pending ({audit_names})
    SELECT {audit_names} FROM new_referral,
      ROWS FROM (jsonb_to_recordset(${n}::jsonb) AS ({audit_types})) WITH ORDINALITY AS e
    ORDER BY e.ordinality
)"""  # noqa: S608 -- names and types from this service's own table metadata, values bound
    if not with_event:
        return sql + "\nSELECT count(*) FROM new_referral"
    return (
        sql  # noqa: S608
        + f""", new_event AS (
    INSERT INTO {outbox.name} (id, subject, type, envelope, headers, created_at)
    SELECT ${n + 1}::uuid, ${n + 2}::text, ${n + 3}::text, ${n + 4}::jsonb, ${n + 5}::jsonb, now()
    FROM new_referral
)
SELECT count(pg_notify('{NOTIFY_CHANNEL}', '')) FROM new_referral"""  # noqa: S608
    )


# Built once: asyncpg prepares each once per connection.
_WRITE = _write_statement(with_event=False)
_WRITE_WITH_EVENT = _write_statement(with_event=True)


async def write(
    conn: asyncpg.Connection,
    ref: Referral,
    guard: Case,
    audit_rows: Sequence[Mapping[str, Any]],
    event: EventContract | None = None,
) -> bool:
    """Write a new referral with its audit entries (and outbox event) if the case is as ``guard``
    was read. False: it changed in between, nothing was written; read and check again.

    Not through the ORM unit of work: the row is not read back. The event's outbox row is
    ``shared.outbox.outbox_row``, as ``add_event`` writes it. In the request's transaction if one
    has begun (an Idempotency-Key, a sealed override reason), else a transaction of its own.
    """
    args: list[Any] = [guard.id, guard.owner_org_id, guard.consent_revision]
    # Straight from the instance's state, where ``new_referral`` put every column: thirty reads
    # through the attribute instrumentation are not needed to build a list.
    values = instance_dict(ref)
    args += [values[key] for key in _REFERRAL_KEYS]
    args.append(
        json.dumps([{k: row[k] for k in (c.key for c in _AUDIT_COLUMNS)} for row in audit_rows], default=str)
    )
    if event is None:
        return bool(await conn.fetchval(_WRITE, *args))
    _, row = outbox_row(event, entity_id=str(ref.id))
    args += [row["id"], row["subject"], row["type"], json.dumps(row["envelope"]), json.dumps(row["headers"])]
    return bool(await conn.fetchval(_WRITE_WITH_EVENT, *args))
