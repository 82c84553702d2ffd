"""Writing the audit log. Every decision and every read of personal data lands here.

Entries are chained: each stores the previous entry's hash, and two transactions must never chain
onto the same predecessor, so linking holds a lock that serialises every writer of the service
until commit. :func:`record` only notes the entry in the session; the session's ``before_commit``
event inserts the unit of work's entries into ``audit_pending`` with a digest of their content, and
PostgreSQL links them into ``audit_entry`` inside COMMIT (a deferred trigger, migration 0003). The
lock is then held for the commit alone, never across a round trip to this process. Chain order is
commit order. Referral creation puts its entries (:func:`entry`) into its one write statement
instead (services/referrals/referrals/repository.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.referrals.audit.chain import content_digest
from services.referrals.audit.models import AuditEntry, AuditPending
from shared.auth import Principal

PENDING = "hawkari.audit.pending"


class EntryOptions(TypedDict, total=False):
    case_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    categories: Sequence[str]
    purpose: str | None
    # Ids and codes only, never personal data: the log outlives erasure.
    detail: Mapping[str, Any] | None


def entry(actor: Principal, action: str, at: datetime, **options: Unpack[EntryOptions]) -> dict[str, Any]:
    """An ``audit_pending`` row: the entry's fields and the digest the chain links."""
    fields: dict[str, Any] = {
        "at": at,
        "actor_subject": actor.subject,
        "actor_username": actor.username,
        "actor_org_id": actor.org_id,
        "action": action,
        "case_id": options.get("case_id"),
        "referral_id": options.get("referral_id"),
        "categories": sorted(options.get("categories", ())),
        "purpose": options.get("purpose"),
        "detail": dict(options.get("detail") or {}),
    }
    return {**fields, "content_digest": content_digest(**fields)}


async def record(
    session: AsyncSession, actor: Principal, action: str, at: datetime, **options: Unpack[EntryOptions]
) -> None:
    """Note an entry in the unit of work; it is written at commit, and only if that commits."""
    session.info.setdefault(PENDING, []).append(entry(actor, action, at, **options))


@event.listens_for(Session, "before_commit")
def _queue_pending(session: Session) -> None:
    """Insert the unit of work's audit entries for the commit-time trigger to chain.

    A sync ORM event: under the asyncio extension it runs inside the greenlet that drives the
    commit, so this synchronous call is awaited on the connection like any other. Sessions without
    pending entries (other services in the same process) pass straight through.
    """
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    # A Core insert: the entries are never read back in this unit of work.
    session.execute(sa.insert(AuditPending.__table__), pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    # Entries of a unit of work that did not commit never happened.
    session.info.pop(PENDING, None)


async def entries_for_case(session: AsyncSession, case_id: uuid.UUID) -> list[AuditEntry]:
    rows = await session.execute(
        sa.select(AuditEntry)
        .where(
            sa.or_(AuditEntry.case_id == case_id, AuditEntry.detail["other_case_id"].astext == str(case_id))
        )
        .order_by(AuditEntry.seq)
    )
    return list(rows.scalars())
