"""One notification to one audience on every channel, each exactly once.

One statement (``services.notifications.sql.NOTICE``, the event path's hot loop), run in the caller's
unit of work (a worker's transaction), or as its own unit with the consumer's inbox record: the
inbox item, the email deliveries and the webhook deliveries are inserted with ``ON CONFLICT DO
NOTHING`` against unique keys per event × recipient × channel, so running it twice for one event
changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import sql
from services.notifications.inbox.live import CHANNEL
from services.notifications.messages import LANGUAGES, Message
from services.notifications.recipients import GROUP_ROLES, Audience
from services.notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Notification:
    event_id: str
    message: Message
    referral_id: uuid.UUID | None = None
    # The CloudEvent (JSON) for webhooks and its type; None for service-made notices.
    event_type: str | None = None
    event_json: str | None = None


def item_json(item: dict[str, object]) -> dict[str, object]:
    """An inbox item as the API and the live stream show it."""
    return {k: (str(v) if isinstance(v, uuid.UUID | datetime) else v) for k, v in item.items()}


async def fan_out(
    session: AsyncSession,
    settings: NotificationsSettings,
    now: datetime,
    audience: Audience,
    note: Notification,
) -> None:
    """The notice in the session's transaction (which holds the consumer's inbox record, if any)."""
    await notify(await sql.driver(session), settings, now, audience, note)


async def notify(
    conn: asyncpg.Connection,
    settings: NotificationsSettings,
    now: datetime,
    audience: Audience,
    note: Notification,
    consumer: str | None = None,
) -> bool:
    """The notice in one statement; with ``consumer``, the event's inbox record too, and then
    nothing is written unless that record is new. Returns whether the notice was written."""
    msg = note.message
    values = {
        "id": uuid.uuid4(),
        "event_id": note.event_id,
        "kind": msg.kind,
        "org_id": audience.org_id,
        "audience": audience.group,
        "recipient_subject": audience.subject,
        "referral_id": note.referral_id,
        "case_reference": msg.case_reference,
        "service_name": msg.service_name(),
        "organization_name": msg.organization_name(),
        "status": msg.status,
        "code": msg.code,
        "link": msg.link,
        "created_at": now,
    }
    payload = json.dumps(item_json({**values, "read": False}))
    row = await conn.fetchrow(
        sql.NOTICE,
        *values.values(),
        CHANNEL,
        payload,
        note.event_type if note.event_json else None,
        sorted(str(r) for r in GROUP_ROLES[audience.group]),
        settings.email_org_contacts,
        note.event_json,
        now + timedelta(hours=settings.webhook_retry_window_h),
        consumer,
        note.event_type or "",
        list(LANGUAGES),
        settings.default_language,
        json.dumps(dataclasses.asdict(msg)),
    )
    return bool(row and row["written"])
