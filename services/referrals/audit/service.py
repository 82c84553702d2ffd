"""Writing the audit log. Every decision and every read of personal data lands here.

Entries are chained: each stores the previous entry's hash. Appending takes a transaction-scoped
advisory lock so two transactions never chain onto the same predecessor, and that lock is held
until commit: it serialises every writer in the service. So :func:`record` only notes the entry in
the session, and the entries are chained and inserted in the session's ``before_commit`` event —
the last thing a unit of work does — which keeps the lock for one insert and the commit itself,
however long the rest of the request takes. Chain order is then commit order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.referrals.audit.chain import GENESIS, canonical, entry_hash
from services.referrals.audit.models import AuditEntry
from shared.auth import Principal

CHAIN_LOCK = 0x4857_4B41_5544  # "HWKAUD": one chain per database
PENDING = "hawkari.audit.pending"


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    at: datetime,
    *,
    case_id: uuid.UUID | None = None,
    referral_id: uuid.UUID | None = None,
    categories: Sequence[str] = (),
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    fields: dict[str, Any] = {
        "at": at,
        "actor_subject": actor.subject,
        "actor_username": actor.username,
        "actor_org_id": actor.org_id,
        "action": action,
        "case_id": case_id,
        "referral_id": referral_id,
        "categories": sorted(categories),
        "purpose": purpose,
        "detail": dict(detail or {}),
    }
    session.info.setdefault(PENDING, []).append(fields)


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Append the unit of work's audit entries to the chain, under the chain lock, at commit.

    A sync ORM event: under the asyncio extension it runs inside the greenlet that drives the
    commit, so these synchronous calls are awaited on the connection like any other. Sessions
    without pending entries (other services in the same process) pass straight through.
    """
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    last = session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq = last.seq if last else 0
    prev = last.hash if last else GENESIS
    rows = []
    for fields in pending:
        seq += 1
        row = {"seq": seq, **fields}
        digest = entry_hash(prev, canonical(**row))
        rows.append({**row, "prev_hash": prev, "hash": digest})
        prev = digest
    # A Core insert: the entries are never read back in this unit of work.
    session.execute(sa.insert(AuditEntry.__table__), rows)


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
