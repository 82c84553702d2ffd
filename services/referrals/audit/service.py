"""Writing the audit log. Every decision and every read of personal data lands here.

Entries are chained: each stores the previous entry's hash. Appending takes a transaction-scoped
advisory lock so two transactions never chain onto the same predecessor; it is held until commit,
so the append is done as late as possible in a unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.audit.chain import GENESIS, canonical, entry_hash
from services.referrals.audit.models import AuditEntry
from shared.auth import Principal

CHAIN_LOCK = 0x4857_4B41_5544  # "HWKAUD": one chain per database


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
) -> AuditEntry:
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    last = (
        await session.execute(
            sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    fields: dict[str, Any] = {
        "seq": seq,
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
    entry = AuditEntry(**fields, prev_hash=prev, hash=entry_hash(prev, canonical(**fields)))
    session.add(entry)
    await session.flush()
    return entry


async def entries_for_case(session: AsyncSession, case_id: uuid.UUID) -> list[AuditEntry]:
    rows = await session.execute(
        sa.select(AuditEntry)
        .where(
            sa.or_(AuditEntry.case_id == case_id, AuditEntry.detail["other_case_id"].astext == str(case_id))
        )
        .order_by(AuditEntry.seq)
    )
    return list(rows.scalars())
