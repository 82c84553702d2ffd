"""Sends due webhook deliveries, signed per Standard Webhooks, with backoff, jitter and a give-up time.

Each attempt resolves the endpoint's name once and connects to the address it checked (see
``urls.pin``). During a secret rotation's grace period every delivery carries two signatures,
by the new and the previous secret, so a receiver verifies with whichever it holds.

A delivery is leased (its next attempt pushed ahead) before the HTTP call and settled after it, in
short transactions. A failure schedules the next attempt after an exponential delay with full jitter
until ``give_up_at`` (24 h by default); the endpoint's consecutive failures grow, and at the limit
it is disabled and its organization's admins are told (inbox and email), once.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from services.notifications.clock import Clock
from services.notifications.fanout import Notification, fan_out
from services.notifications.messages import Message
from services.notifications.recipients import ADMIN, WEBHOOK_DISABLED, Audience
from services.notifications.settings import NotificationsSettings
from services.notifications.webhooks import secrets, urls
from services.notifications.webhooks.models import (
    FAILED,
    PENDING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger("hawkari.notifications.webhooks")


class WebhookWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: NotificationsSettings,
        clock: Clock,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.http = http or httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    def backoff(self, attempts: int) -> timedelta:
        """Full jitter over an exponential ceiling: base·2^(n-1), capped."""
        s = self.settings
        ceiling = min(s.webhook_backoff_max_s, s.webhook_backoff_base_s * 2 ** min(attempts - 1, 30))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not crypto

    async def run_once(self, batch: int = 20) -> int:
        now = self.clock.now()
        lease = timedelta(seconds=self.settings.webhook_timeout_s * 3)
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    sa.select(
                        WebhookDelivery,
                        WebhookEndpoint.url,
                        WebhookEndpoint.secret_encrypted,
                        WebhookEndpoint.previous_secret_encrypted,
                        WebhookEndpoint.previous_secret_expires_at,
                    )
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.status == PENDING,
                        WebhookDelivery.next_attempt_at <= now,
                        WebhookEndpoint.enabled,
                    )
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(batch)
                    .with_for_update(of=WebhookDelivery, skip_locked=True)
                )
            ).all()
            for row in rows:
                row[0].next_attempt_at = now + lease
        key = self.settings.webhook_secret_key
        for delivery, url, secret, previous, previous_until in rows:
            keys = [secrets.decrypt(key, secret)]
            if previous and previous_until and previous_until > now:
                keys.append(secrets.decrypt(key, previous))  # a rotation's grace period
            await self._attempt(delivery, url, keys)
        return len(rows)

    async def _attempt(self, delivery: WebhookDelivery, url: str, keys: list[str]) -> None:
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        detail: dict[str, str] = {}
        try:
            # Resolve once, check, and connect to exactly the address checked (no DNS rebinding).
            target = await urls.pin(url, allow_private=self.settings.webhook_allow_private)
            detail["address"] = target.address
            # The signature timestamp is wall-clock time: receivers check it against theirs.
            stamp = datetime.fromtimestamp(int(time.time()), tz=UTC)
            # Standard Webhooks: space-separated signatures; a receiver accepts any one it can verify.
            signature = " ".join(Webhook(k).sign(delivery.event_id, stamp, delivery.payload) for k in keys)
            response = await self.http.post(
                target.url,
                content=delivery.payload.encode(),
                headers={
                    "host": target.host_header,
                    "content-type": "application/json",
                    "webhook-id": delivery.event_id,
                    "webhook-timestamp": str(int(stamp.timestamp())),
                    "webhook-signature": signature,
                    "user-agent": "Hawkari-Webhooks/1",
                },
                extensions={"sni_hostname": target.sni_hostname} if target.sni_hostname else None,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except urls.UnsafeUrl as exc:
            error = f"refused: url {exc}"
        except httpx.HTTPError as exc:
            error = exc.__class__.__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._settle(delivery, status_code, error, duration_ms, detail)

    async def _settle(
        self,
        delivery: WebhookDelivery,
        status_code: int | None,
        error: str | None,
        ms: int,
        detail: dict[str, str],
    ) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempted_at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=ms,
                    detail=detail,
                )
            )
            attempts = delivery.attempts + 1
            values: dict[str, object] = {
                "attempts": attempts,
                "last_status_code": status_code,
                "last_error": error,
            }
            if error is None:
                values |= {"status": SUCCEEDED, "delivered_at": now}
                await session.execute(
                    sa.update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == delivery.endpoint_id)
                    .values(consecutive_failures=0)
                )
            else:
                retry_at = now + self.backoff(attempts)
                if retry_at > delivery.give_up_at:
                    values |= {"status": FAILED}
                else:
                    values |= {"next_attempt_at": retry_at}
                await self._count_failure(session, delivery.endpoint_id, now)
            await session.execute(
                sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values)
            )

    async def _count_failure(self, session: AsyncSession, endpoint_id: uuid.UUID, now: datetime) -> None:
        failures = await session.scalar(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
            .returning(WebhookEndpoint.consecutive_failures)
        )
        if failures is None or failures < self.settings.webhook_max_consecutive_failures:
            return
        disabled = (
            await session.execute(
                sa.update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled)
                .values(enabled=False, disabled_at=now)
                .returning(WebhookEndpoint.org_id)
            )
        ).first()
        if disabled is None:
            return  # already disabled: the admins were told then
        logger.warning("webhook endpoint %s disabled after %s consecutive failures", endpoint_id, failures)
        message = Message(
            kind=WEBHOOK_DISABLED,
            link=f"{self.settings.portal_url.rstrip('/')}/settings/webhooks/{endpoint_id}",
            status="disabled",
        )
        note = Notification(event_id=f"webhook-disabled:{endpoint_id}:{now.isoformat()}", message=message)
        await fan_out(session, self.settings, now, Audience(disabled.org_id, ADMIN), note)
