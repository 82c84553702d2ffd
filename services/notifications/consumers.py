"""Event handlers: referral and consent events become notifications; registry events feed the replica.

A referral step (the hot path, ``ReferralNotifier.direct``) is two statements without a transaction:
the forward-only status, then the notice written together with the consumer's inbox record of the
event id. Other events run in the consumer's transaction, which holds that record. Either way a
redelivered event writes nothing, and the unique keys in ``fanout`` hold even if it did. A
referral's displayed status only moves forward (see ``sql.REFERRAL_STEP``).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import sql
from services.notifications.clock import Clock
from services.notifications.fanout import Notification, fan_out, notify
from services.notifications.inbox.models import ReferralState
from services.notifications.messages import Message, case_reference, safe_code
from services.notifications.recipients import (
    CONSENT_WITHDRAWN,
    PROVIDER,
    REFERRAL_KINDS,
    REFERRER,
    STATUS_RANK,
    Audience,
    referral_audience,
)
from services.notifications.settings import NotificationsSettings
from shared.contracts import referrals as rc
from shared.events.envelope import CloudEvent


class ReferralNotifier:
    """The handler of the referrals stream."""

    def __init__(self, settings: NotificationsSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def link(self, path: str) -> str:
        return f"{self.settings.portal_url.rstrip('/')}/{path}"

    async def __call__(self, session: AsyncSession, event: CloudEvent) -> None:
        """Any event, in the consumer's transaction (which holds its inbox record)."""
        if event.type in REFERRAL_KINDS:
            conn = await sql.driver(session)
            if step := await self.referral_step(conn, event):
                await notify(conn, self.settings, self.clock.now(), *step)
        elif event.type == rc.ConsentWithdrawn.event_type:
            payload = event.payload()
            assert isinstance(payload, rc.ConsentWithdrawn)
            await self.on_consent_withdrawn(session, event, payload)

    async def direct(self, conn: asyncpg.Connection, event: CloudEvent, consumer: str) -> bool | None:
        """A referral step without a transaction round trip: the status and names first (a
        forward-only upsert, so applying it again changes nothing), then the notice and the inbox
        record together in one statement. Other events go through ``__call__``."""
        if event.type not in REFERRAL_KINDS:
            return None
        step = await self.referral_step(conn, event)
        if step is None:
            return await conn.fetchval(sql.RECORD, consumer, event.id, event.type) is not None
        return await notify(conn, self.settings, self.clock.now(), *step, consumer)

    async def referral_step(
        self, conn: asyncpg.Connection, event: CloudEvent
    ) -> tuple[Audience, Notification] | None:
        """Record the referral's status; who hears of the step and what they read (None: nobody)."""
        p = event.payload()
        assert isinstance(p, rc.ReferralEvent)
        kind = REFERRAL_KINDS[event.type]
        names = await conn.fetchrow(
            sql.REFERRAL_STEP,
            p.service_id,
            p.dimensions.provider_org_id,
            p.dimensions.owner_org_id,
            p.referral_id,
            p.case_id,
            p.status,
            STATUS_RANK.get(p.status, 0),
            _event_time(event),
        )
        dims = p.dimensions.model_copy(update={"provider_org_id": names["provider_org_id"]})
        audience = referral_audience(kind, dims, p.referrer_subject)
        if audience is None:
            return None
        # The other party: who referred (for the provider), who provides (for the referrer).
        other_names = names["owner_name"] if audience.group == PROVIDER else names["provider_name"]
        code = getattr(p, "reason", None) or getattr(p, "outcome", None) or getattr(p, "reminder", None)
        message = Message(
            kind=kind,
            link=self.link(f"referrals/{p.referral_id}"),
            case_reference=case_reference(p.case_id, p.case_reference),
            service_names=dict(names["service_name"] or {}),
            organization_names=dict(other_names or {}),
            status=p.status,
            code=safe_code(code),
        )
        return audience, Notification(event.id, message, p.referral_id, event.type, event.to_json().decode())

    async def on_consent_withdrawn(
        self, session: AsyncSession, event: CloudEvent, p: rc.ConsentWithdrawn
    ) -> None:
        """Both sides hear: the case's counsellors and every provider with a referral still open."""
        audiences: list[Audience] = []
        if p.dimensions.owner_org_id:
            audiences.append(Audience(p.dimensions.owner_org_id, REFERRER))
        providers = set(
            (
                await session.execute(
                    sa.select(ReferralState.provider_org_id).where(
                        ReferralState.case_id == p.case_id,
                        ReferralState.provider_org_id.is_not(None),
                        ReferralState.rank < max(STATUS_RANK.values()),
                    )
                )
            ).scalars()
        )
        if p.dimensions.provider_org_id:
            providers.add(p.dimensions.provider_org_id)
        audiences.extend(Audience(org, PROVIDER) for org in sorted(providers, key=str) if org)
        message = Message(
            kind=CONSENT_WITHDRAWN,
            link=self.link(f"cases/{p.case_id}"),
            case_reference=case_reference(p.case_id, p.case_reference),
            status="withdrawn",
        )
        note = Notification(event.id, message, None, event.type, event.to_json().decode())
        for audience in audiences:
            await fan_out(session, self.settings, self.clock.now(), audience, note)


def _event_time(event: CloudEvent) -> datetime:
    return datetime.fromisoformat(event.time.replace("Z", "+00:00"))
