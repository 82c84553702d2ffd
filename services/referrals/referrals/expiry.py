"""The periodic task: reminders at half-time and one day before the deadline, expiry after it.

It reads "now" from the app's injectable clock, so tests move time instead of waiting. Each pass is
one transaction; rows are locked with SKIP LOCKED so several processes may run it side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.referrals.cases.models import Case
from services.referrals.clock import Clock
from services.referrals.context import Ctx
from services.referrals.events import publish
from services.referrals.permissions import SYSTEM
from services.referrals.personal_data.vault import Vault
from services.referrals.referrals import service
from services.referrals.referrals.models import Referral
from services.referrals.settings import ReferralsSettings
from shared.contracts.referrals import ReferralReminderDue

logger = logging.getLogger("hawkari.referrals.expiry")
ONE_DAY = timedelta(days=1)


@dataclass
class ExpiryWorker:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    vault: Vault
    settings: ReferralsSettings
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="referral-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("expiry pass failed: %s", exc.__class__.__name__)
            await asyncio.sleep(self.settings.expiry_interval_s)

    async def run_once(self) -> dict[str, int]:
        counts = {"expired": 0, "half_time": 0, "one_day_left": 0}
        async with self.sessionmaker() as session, session.begin():
            now = self.clock.now()
            ctx = Ctx(session, SYSTEM, self.clock, self.vault, self.settings)
            half_time = sa.literal_column(
                "referral.sent_at + (referral.deadline_at - referral.sent_at) / 2", sa.DateTime(timezone=True)
            )
            rows = await session.execute(
                sa.select(Referral, Case)
                .join(Case, Case.id == Referral.case_id)
                .where(
                    Referral.status == "sent",
                    sa.or_(
                        Referral.deadline_at <= now,
                        sa.and_(Referral.half_reminder_at.is_(None), half_time <= now),
                        sa.and_(
                            Referral.last_day_reminder_at.is_(None),
                            Referral.response_hours > 24,
                            Referral.deadline_at - ONE_DAY <= now,
                        ),
                    ),
                )
                .order_by(Referral.deadline_at)
                .limit(500)
                .with_for_update(of=Referral, skip_locked=True)
            )
            for ref, case in rows.all():
                assert ref.deadline_at is not None and ref.sent_at is not None
                if ref.deadline_at <= now:
                    await service.apply(ctx, case, ref, "expire")
                    counts["expired"] += 1
                    continue
                if ref.half_reminder_at is None and ref.sent_at + (ref.deadline_at - ref.sent_at) / 2 <= now:
                    ref.half_reminder_at = now
                    await self._remind(session, case, ref, "half_time")
                    counts["half_time"] += 1
                if (
                    ref.last_day_reminder_at is None
                    and ref.response_hours > 24
                    and ref.deadline_at - ONE_DAY <= now
                ):
                    ref.last_day_reminder_at = now
                    await self._remind(session, case, ref, "one_day_left")
                    counts["one_day_left"] += 1
        return counts

    async def _remind(self, session: AsyncSession, case: Case, ref: Referral, kind: str) -> None:
        assert ref.deadline_at is not None
        await publish(
            session,
            ReferralReminderDue(
                **service.event_fields(case, ref),
                reminder=kind,
                deadline_at=ref.deadline_at.isoformat(),
            ),
            ref.id,
        )
