"""One notification to one audience on every channel, each exactly once.

Called inside the caller's unit of work (a consumer's transaction, a worker's): the inbox item, the
email deliveries and the webhook deliveries are inserted with ``ON CONFLICT DO NOTHING`` against
unique keys per event × recipient × channel, so running it twice for one event changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.directory.models import ReplicaOrganization
from services.notifications.email import models as email_models
from services.notifications.email.models import EmailDelivery
from services.notifications.inbox.live import CHANNEL
from services.notifications.inbox.models import InboxItem
from services.notifications.messages import Message, render_email
from services.notifications.preferences.models import Preference
from services.notifications.recipients import GROUP_ROLES, Audience
from services.notifications.settings import NotificationsSettings
from services.notifications.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint


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
    msg = note.message
    values = {
        "id": uuid.uuid4(),
        "event_id": note.event_id,
        "kind": msg.kind,
        "org_id": audience.org_id,
        "audience": audience.group,
        "recipient_subject": "",
        "referral_id": note.referral_id,
        "case_reference": msg.case_reference,
        "service_name": msg.service_name(),
        "organization_name": msg.organization_name(),
        "status": msg.status,
        "code": msg.code,
        "link": msg.link,
        "created_at": now,
    }
    # Insert and notify in one round trip; NOTIFY is delivered at commit, and only if a row was new.
    payload = json.dumps(item_json({**values, "read": False}))
    new = insert(InboxItem).values(**values).on_conflict_do_nothing().returning(InboxItem.id).cte("new_item")
    await session.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)).select_from(new))
    await _queue_emails(session, settings, now, audience, note)
    if note.event_type and note.event_json:
        await _queue_webhooks(session, settings, now, audience, note)


async def _queue_emails(
    session: AsyncSession,
    settings: NotificationsSettings,
    now: datetime,
    audience: Audience,
    note: Notification,
) -> None:
    kind = note.message.kind
    roles = sorted(str(r) for r in GROUP_ROLES[audience.group])
    people = (
        await session.execute(
            sa.select(Preference).where(
                Preference.org_id == audience.org_id,
                Preference.roles.overlap(roles),
                Preference.email.is_not(None),
            )
        )
    ).scalars()
    targets: list[tuple[str, str, bool]] = []
    for pref in people:
        if pref.channels.get(kind, {}).get("email", True) and pref.email:
            targets.append((pref.email, pref.language, pref.daily_digest))
    if settings.email_org_contacts:
        contact = await session.scalar(
            sa.select(ReplicaOrganization.email).where(
                ReplicaOrganization.id == audience.org_id, ReplicaOrganization.active
            )
        )
        if contact:
            targets.append((contact, settings.default_language, False))
    for address, language, digest in targets:
        rendered = render_email(language, [note.message])
        await session.execute(
            insert(EmailDelivery)
            .values(
                id=uuid.uuid4(),
                dedup_key=note.event_id,
                kind="digest-entry" if digest else "instant",
                address=address,
                language=language,
                subject_line=rendered.subject,
                text_body=rendered.text,
                html_body=rendered.html,
                message=dataclasses.asdict(note.message),
                status=email_models.HELD if digest else email_models.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )


async def _queue_webhooks(
    session: AsyncSession,
    settings: NotificationsSettings,
    now: datetime,
    audience: Audience,
    note: Notification,
) -> None:
    # Disabled endpoints queue too: their deliveries wait, and go out if an admin re-enables in time.
    # One INSERT ... SELECT over the organization's subscribed endpoints.
    matching = sa.select(
        sa.func.gen_random_uuid(),
        WebhookEndpoint.id,
        sa.literal(note.event_id),
        sa.literal(note.event_type),
        sa.literal(note.event_json),
        sa.literal(PENDING),
        sa.literal(0),
        sa.literal(now),
        sa.literal(now + timedelta(hours=settings.webhook_retry_window_h)),
        sa.literal(now),
    ).where(WebhookEndpoint.org_id == audience.org_id, WebhookEndpoint.event_types.any_() == note.event_type)
    columns = [
        "id",
        "endpoint_id",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "give_up_at",
        "created_at",
    ]
    await session.execute(insert(WebhookDelivery).from_select(columns, matching).on_conflict_do_nothing())
