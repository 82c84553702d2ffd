"""Webhook endpoint rules: an organization's admin manages its own endpoints; others' do not exist."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.recipients import WEBHOOK_EVENT_TYPES
from services.notifications.settings import NotificationsSettings
from services.notifications.webhooks import secrets, urls
from services.notifications.webhooks.models import PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.notifications.webhooks.schemas import EndpointIn, EndpointPatch, RotateIn
from shared.auth import Principal
from shared.errors import Forbidden, InvalidField, NotFound


def _org(principal: Principal) -> uuid.UUID:
    if principal.org_id is None:
        raise Forbidden("Webhooks belong to an organization; your account has none.")
    return principal.org_id


async def _check_url(settings: NotificationsSettings, url: str) -> None:
    try:
        await urls.check(
            url, allow_private=settings.webhook_allow_private, max_length=settings.webhook_max_url_length
        )
    except urls.UnsafeUrl as exc:
        raise InvalidField("/url", str(exc)) from None


def _check_types(types: list[str]) -> list[str]:
    errors = [
        (f"/event_types/{i}", "unknown event type; one of " + ", ".join(sorted(WEBHOOK_EVENT_TYPES)))
        for i, t in enumerate(types)
        if t not in WEBHOOK_EVENT_TYPES
    ]
    if errors:
        raise InvalidField(errors)
    return sorted(set(types))


_SECRET_COLUMNS = ("secret_encrypted", "previous_secret_encrypted")


def endpoint_out(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        c.key: getattr(e, c.key)
        for c in sa.inspect(WebhookEndpoint).column_attrs
        if c.key not in _SECRET_COLUMNS
    }


async def create(
    session: AsyncSession, settings: NotificationsSettings, principal: Principal, body: EndpointIn
) -> dict[str, Any]:
    org = _org(principal)
    types = _check_types(body.event_types)
    await _check_url(settings, body.url)
    secret = secrets.new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        org_id=org,
        url=body.url,
        description=body.description,
        event_types=types,
        secret_encrypted=secrets.encrypt(settings.webhook_secret_key, secret),
        enabled=True,
        consecutive_failures=0,
        created_by=principal.subject,
    )
    session.add(endpoint)
    await session.flush()
    await session.refresh(endpoint)
    return {**endpoint_out(endpoint), "secret": secret}


async def get_own(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.org_id != _org(principal):
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def list_own(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.org_id == _org(principal))
        .order_by(WebhookEndpoint.created_at)
    )
    return [endpoint_out(e) for e in rows.scalars()]


async def update(
    session: AsyncSession,
    settings: NotificationsSettings,
    principal: Principal,
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
) -> dict[str, Any]:
    endpoint = await get_own(session, principal, endpoint_id)
    if body.event_types is not None:
        endpoint.event_types = _check_types(body.event_types)
    if body.url is not None:
        await _check_url(settings, body.url)
        endpoint.url = body.url
    if body.description is not None:
        endpoint.description = body.description
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled, endpoint.consecutive_failures, endpoint.disabled_at = True, 0, None
    elif body.enabled is False:
        endpoint.enabled = False
    await session.flush()
    return endpoint_out(endpoint)


async def rotate_secret(
    session: AsyncSession,
    settings: NotificationsSettings,
    principal: Principal,
    endpoint_id: uuid.UUID,
    body: RotateIn,
    now: datetime,
) -> dict[str, Any]:
    """A new signing secret; the current one becomes the previous and keeps signing for the grace
    period (Standard Webhooks allows several signatures), so a receiver can switch without a gap.
    A rotation during a grace period ends that one: at most two secrets sign at once."""
    endpoint = await get_own(session, principal, endpoint_id)
    grace = settings.webhook_secret_grace_h if body.grace_hours is None else body.grace_hours
    secret = secrets.new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted if grace > 0 else None
    endpoint.previous_secret_expires_at = now + timedelta(hours=grace) if grace > 0 else None
    endpoint.secret_encrypted = secrets.encrypt(settings.webhook_secret_key, secret)
    endpoint.secret_rotated_at = now
    await session.flush()
    return {**endpoint_out(endpoint), "secret": secret}


async def delete(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> None:
    endpoint = await get_own(session, principal, endpoint_id)
    await session.delete(endpoint)


async def deliveries(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, limit: int = 100
) -> list[dict[str, Any]]:
    await get_own(session, principal, endpoint_id)
    rows = (
        (
            await session.execute(
                sa.select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
                .order_by(WebhookDelivery.created_at.desc())
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    attempts = (
        (
            await session.execute(
                sa.select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_([d.id for d in rows]))
                .order_by(WebhookAttempt.id)
            )
        )
        .scalars()
        .all()
    )
    log: dict[uuid.UUID, list[WebhookAttempt]] = {}
    for a in attempts:
        log.setdefault(a.delivery_id, []).append(a)
    out = []
    for d in rows:
        item = {
            c.key: getattr(d, c.key) for c in sa.inspect(WebhookDelivery).column_attrs if c.key != "payload"
        }
        item["log"] = [
            {
                "attempted_at": a.attempted_at,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
                "address": (a.detail or {}).get("address"),
            }
            for a in log.get(d.id, [])
        ]
        out.append(item)
    return out


async def redeliver(
    session: AsyncSession,
    settings: NotificationsSettings,
    principal: Principal,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    now: datetime,
) -> None:
    await get_own(session, principal, endpoint_id)
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound("No such delivery.")
    delivery.status = PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + timedelta(hours=settings.webhook_retry_window_h)
