"""One notification to one audience on every channel, each exactly once.

Called inside the caller's unit of work (a consumer's transaction, a worker's): the inbox item, the
email deliveries and the webhook deliveries are inserted with ``ON CONFLICT DO NOTHING`` against
unique keys per event × recipient × channel, so running it twice for one event changes nothing.
The statements are in ``services.notifications.sql`` (the event path's hot loop).
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
from services.notifications.email import models as email_models
from services.notifications.inbox.live import CHANNEL
from services.notifications.messages import Message, language_of, render_email
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
    conn = await sql.driver(session)
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
    rows = await conn.fetch(
        sql.NOTICE,
        *values.values(),
        CHANNEL,
        payload,
        note.event_type if note.event_json else None,
        sorted(str(r) for r in GROUP_ROLES[audience.group]),
        settings.email_org_contacts,
        note.event_json,
        now + timedelta(hours=settings.webhook_retry_window_h),
    )
    await _queue_emails(conn, settings, now, note, rows)


async def _queue_emails(
    conn: asyncpg.Connection,
    settings: NotificationsSettings,
    now: datetime,
    note: Notification,
    recipients: list[asyncpg.Record],
) -> None:
    targets: dict[str, tuple[str, bool]] = {}
    for row in recipients:
        if row["address"] and row["wanted"] and row["address"] not in targets:
            targets[row["address"]] = (language_of(row["language"], settings.default_language), row["digest"])
    if not targets:
        return
    rendered = {lang: render_email(lang, [note.message]) for lang in {lang for lang, _ in targets.values()}}
    message = json.dumps(dataclasses.asdict(note.message))
    await conn.executemany(
        sql.EMAIL,
        [
            (
                uuid.uuid4(),
                note.event_id,
                "digest-entry" if digest else "instant",
                address,
                language,
                rendered[language].subject,
                rendered[language].text,
                rendered[language].html,
                message,
                email_models.HELD if digest else email_models.PENDING,
                now,
            )
            for address, (language, digest) in targets.items()
        ],
    )
