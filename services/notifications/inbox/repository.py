"""Every inbox query. Visibility is one predicate, used by all of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.inbox.models import InboxItem, InboxRead, ReferralState
from services.notifications.preferences.models import Preference


def visible_to(
    subject: str, org_id: uuid.UUID | None, groups: list[str], muted: set[str]
) -> sa.ColumnElement[bool]:
    queue = sa.and_(
        InboxItem.recipient_subject == "", InboxItem.org_id == org_id, InboxItem.audience.in_(groups)
    )
    mine = InboxItem.recipient_subject == subject
    clause = sa.or_(mine, queue) if org_id is not None and groups else mine
    if muted:
        clause = sa.and_(clause, InboxItem.kind.not_in(sorted(muted)))
    return clause


def _is_read(subject: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(InboxRead.item_id == InboxItem.id, InboxRead.subject == subject)


async def muted_kinds(session: AsyncSession, subject: str) -> set[str]:
    channels = await session.scalar(sa.select(Preference.channels).where(Preference.subject == subject))
    return {kind for kind, chans in (channels or {}).items() if chans.get("inbox", True) is False}


async def list_items(
    session: AsyncSession,
    subject: str,
    where: sa.ColumnElement[bool],
    *,
    unread_only: bool,
    kinds: list[str] | None,
    referral_id: uuid.UUID | None,
    before: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    is_read = _is_read(subject).label("read")
    stmt = (
        sa.select(InboxItem, is_read, ReferralState.status.label("referral_status"))
        .outerjoin(ReferralState, ReferralState.referral_id == InboxItem.referral_id)
        .where(where)
        .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
        .limit(limit)
    )
    if unread_only:
        stmt = stmt.where(~_is_read(subject))
    if kinds:
        stmt = stmt.where(InboxItem.kind.in_(kinds))
    if referral_id:
        stmt = stmt.where(InboxItem.referral_id == referral_id)
    if before:
        stmt = stmt.where(InboxItem.created_at < before)
    rows = (await session.execute(stmt)).all()
    return [_row(item, read, status) for item, read, status in rows]


def _row(item: InboxItem, read: bool, referral_status: str | None) -> dict[str, Any]:
    return {
        **{c.key: getattr(item, c.key) for c in sa.inspect(InboxItem).column_attrs},
        "read": read,
        "referral_status": referral_status,
    }


async def get_item(
    session: AsyncSession, subject: str, where: sa.ColumnElement[bool], item_id: uuid.UUID
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            sa.select(InboxItem, _is_read(subject), ReferralState.status)
            .outerjoin(ReferralState, ReferralState.referral_id == InboxItem.referral_id)
            .where(where, InboxItem.id == item_id)
        )
    ).first()
    return _row(*row) if row else None


async def unread_count(session: AsyncSession, subject: str, where: sa.ColumnElement[bool]) -> int:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(InboxItem).where(where, ~_is_read(subject))
    )
    return int(count or 0)


async def mark_one_read(session: AsyncSession, subject: str, item_id: uuid.UUID) -> None:
    await session.execute(insert(InboxRead).values(subject=subject, item_id=item_id).on_conflict_do_nothing())


async def mark_all_read(session: AsyncSession, subject: str, where: sa.ColumnElement[bool]) -> int:
    result = await session.execute(
        insert(InboxRead)
        .from_select(["subject", "item_id"], unread_ids(subject, where))
        .on_conflict_do_nothing()
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unread_ids(subject: str, where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(sa.literal(subject), InboxItem.id).where(where, ~_is_read(subject))
