"""Inbox rules: a reader sees their own items and their organization's queues for their roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.inbox import repository
from services.notifications.inbox.live import Subscription
from services.notifications.recipients import KINDS, groups_of
from shared.auth import Principal
from shared.errors import InvalidField, NotFound


@dataclass(frozen=True)
class Reader:
    subject: str
    org_id: uuid.UUID | None
    groups: list[str]
    muted: set[str]

    @property
    def where(self) -> sa.ColumnElement[bool]:
        return repository.visible_to(self.subject, self.org_id, self.groups, self.muted)

    def subscription(self) -> Subscription:
        return Subscription(
            subject=self.subject,
            org_id=str(self.org_id) if self.org_id else None,
            groups=frozenset(self.groups),
            muted=frozenset(self.muted),
        )


async def reader_for(session: AsyncSession, principal: Principal, owner: str | None = None) -> Reader:
    """The reader of an inbox. Another person's inbox does not exist for the caller: 404."""
    if owner is not None and owner not in ("me", principal.subject):
        raise NotFound("No such inbox.")
    muted = await repository.muted_kinds(session, principal.subject)
    return Reader(principal.subject, principal.org_id, groups_of(principal.roles), muted)


async def list_items(
    session: AsyncSession,
    reader: Reader,
    *,
    unread_only: bool = False,
    kinds: list[str] | None = None,
    referral_id: uuid.UUID | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    for i, kind in enumerate(kinds or []):
        if kind not in KINDS:
            raise InvalidField(f"#query/kind/{i}", f"unknown kind; one of {', '.join(KINDS)}")
    items = await repository.list_items(
        session,
        reader.subject,
        reader.where,
        unread_only=unread_only,
        kinds=kinds,
        referral_id=referral_id,
        before=before,
        limit=limit,
    )
    return {
        "items": items,
        "unread": await repository.unread_count(session, reader.subject, reader.where),
        "next_before": items[-1]["created_at"] if len(items) == limit else None,
    }


async def get_item(session: AsyncSession, reader: Reader, item_id: uuid.UUID) -> dict[str, Any]:
    item = await repository.get_item(session, reader.subject, reader.where, item_id)
    if item is None:
        raise NotFound("No such inbox item.")
    return item


async def mark_read(session: AsyncSession, reader: Reader, item_id: uuid.UUID) -> None:
    await get_item(session, reader, item_id)
    await repository.mark_one_read(session, reader.subject, item_id)


async def mark_all_read(session: AsyncSession, reader: Reader) -> int:
    return await repository.mark_all_read(session, reader.subject, reader.where)


async def unread(session: AsyncSession, reader: Reader) -> int:
    return await repository.unread_count(session, reader.subject, reader.where)
