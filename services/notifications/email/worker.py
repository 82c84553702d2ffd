"""Sends due email deliveries and folds held ones into daily digests.

An SMTP outage only delays: a failed send stays ``pending`` with a later ``next_attempt_at``
(exponential backoff with jitter, capped), and is never given up. A row is leased before the send
(its next attempt pushed ahead) so two workers never send it twice.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.clock import Clock
from services.notifications.email import models as m
from services.notifications.email import sender
from services.notifications.email.models import EmailDelivery
from services.notifications.messages import Message, render_email
from services.notifications.settings import NotificationsSettings

logger = logging.getLogger("hawkari.notifications.email")

LEASE = timedelta(minutes=2)


class EmailWorker:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], settings: NotificationsSettings, clock: Clock
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.sent_total = 0

    def backoff(self, attempts: int) -> timedelta:
        ceiling = min(self.settings.email_backoff_max_s, 2.0 ** min(attempts, 20))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not crypto

    async def run_once(self, batch: int = 50) -> int:
        """Send what is due now. Returns how many were sent."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            rows = (
                (
                    await session.execute(
                        sa.select(EmailDelivery)
                        .where(EmailDelivery.status == m.PENDING, EmailDelivery.next_attempt_at <= now)
                        .order_by(EmailDelivery.next_attempt_at)
                        .limit(batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.next_attempt_at = now + LEASE
        if not rows:
            return 0
        results: dict[uuid.UUID, str | None] = {}
        smtp = sender.client(self.settings)
        try:
            await smtp.connect()
            mail_from = sender.envelope_sender(self.settings)
            for row in rows:
                data = sender.build(self.settings, row.address, *self.rendered(row), row.language, row.id)
                try:
                    await smtp.sendmail(mail_from, [row.address], data)
                    results[row.id] = None
                except Exception as exc:  # a refused recipient must not block the others
                    results[row.id] = f"{exc.__class__.__name__}: {exc}"[:500]
        except Exception as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            for row in rows:
                results.setdefault(row.id, error)
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except Exception:
                    smtp.close()
        done_at = self.clock.now()
        sent_ids = [row.id for row in rows if results.get(row.id, "not attempted") is None]
        failed = [row for row in rows if results.get(row.id, "not attempted") is not None]
        async with self.sessionmaker() as session, session.begin():
            if sent_ids:
                await session.execute(
                    sa.update(EmailDelivery)
                    .where(EmailDelivery.id.in_(sent_ids))
                    .values(status=m.SENT, sent_at=done_at, attempts=EmailDelivery.attempts + 1)
                )
            if failed:  # one executemany: each row keeps its own jittered retry time
                await session.execute(
                    sa.update(EmailDelivery),
                    [
                        {
                            "id": row.id,
                            "attempts": row.attempts + 1,
                            "last_error": results.get(row.id, "not attempted"),
                            "next_attempt_at": done_at + self.backoff(row.attempts + 1),
                        }
                        for row in failed
                    ],
                )
        if failed:
            # One line per round, not per message: an outage must not flood the log.
            first = str(results.get(failed[0].id, "not attempted")).split(":")[0]
            logger.warning("%d email deliveries failed (first: %s); they will be retried", len(failed), first)
        sent = len(sent_ids)
        self.sent_total += sent
        return sent

    @staticmethod
    def rendered(row: EmailDelivery) -> tuple[str, str, str]:
        """Subject, text and HTML: a digest's as made, an instant message's from its facts."""
        if row.subject_line is None or row.text_body is None or row.html_body is None:
            r = render_email(row.language, [Message(**row.message)])  # type: ignore[arg-type]
            return r.subject, r.text, r.html
        return row.subject_line, row.text_body, row.html_body

    def digest_boundary(self, now: datetime) -> datetime:
        """The most recent digest time at or before ``now``."""
        today = now.replace(hour=self.settings.digest_hour_utc, minute=0, second=0, microsecond=0)
        return today if today <= now else today - timedelta(days=1)

    async def run_digests(self) -> int:
        """Fold held entries made before the last digest time into one email per address and day."""
        now = self.clock.now()
        boundary = self.digest_boundary(now)
        made = 0
        async with self.sessionmaker() as session, session.begin():
            held = (
                (
                    await session.execute(
                        sa.select(EmailDelivery)
                        .where(EmailDelivery.status == m.HELD, EmailDelivery.created_at < boundary)
                        .order_by(EmailDelivery.address, EmailDelivery.created_at)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            by_address: dict[str, list[EmailDelivery]] = {}
            for row in held:
                by_address.setdefault(row.address, []).append(row)
            for address, rows in by_address.items():
                language = rows[-1].language
                messages = [Message(**row.message) for row in rows]  # type: ignore[arg-type]
                rendered = render_email(language, messages, digest=True)
                digest_id = uuid.uuid4()
                key = f"digest:{boundary.date().isoformat()}"
                inserted = await session.execute(
                    insert(EmailDelivery)
                    .values(
                        id=digest_id,
                        dedup_key=key,
                        kind="digest",
                        address=address,
                        language=language,
                        subject_line=rendered.subject,
                        text_body=rendered.text,
                        html_body=rendered.html,
                        message={"entries": [dataclasses.asdict(x) for x in messages]},
                        status=m.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing()
                    .returning(EmailDelivery.id)
                )
                if inserted.first() is None:
                    continue  # this address already had today's digest; the rows wait for the next
                made += 1
                await session.execute(
                    sa.update(EmailDelivery)
                    .where(EmailDelivery.id.in_([r.id for r in rows]))
                    .values(status=m.DIGESTED, digest_id=digest_id)
                )
        return made
