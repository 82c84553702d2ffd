"""The notifications service: inbox, live stream, email and signed webhooks for every referral step.

Run with ``uvicorn --factory services.notifications.app:create_app`` (port 8003). See
``services.notifications.recipients`` for who hears about what.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from services.notifications import models  # noqa: F401 - registers every table
from services.notifications.clock import Clock
from services.notifications.consumers import ReferralNotifier
from services.notifications.db import dead_letter, inbox
from services.notifications.dead_letters import redact_dead_letter
from services.notifications.directory.consumer import apply_registry_event
from services.notifications.email.worker import EmailWorker
from services.notifications.inbox.live import LiveHub
from services.notifications.inbox.router import router as inbox_router
from services.notifications.preferences.router import router as preferences_router
from services.notifications.settings import NotificationsSettings
from services.notifications.webhooks.router import router as webhooks_router
from services.notifications.webhooks.worker import WebhookWorker
from services.notifications.workers import DeliveryLoops
from shared.app import ServiceDefinition, create_service_app
from shared.consumer import Consumer
from shared.contracts import referrals, registry


def create_app(settings: NotificationsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    clock = clock or Clock()
    notifier = ReferralNotifier(settings, clock)

    def consumers(app: FastAPI) -> Sequence[Consumer]:
        common = {
            "sessionmaker": app.state.sessionmaker,
            "inbox": inbox,
            "dead_letter": dead_letter,
            "nats": app.state.nats,
            "batch": settings.consumer_batch,
            "max_deliver": settings.consumer_max_deliver,
            "redact_dead_letter": redact_dead_letter,
        }
        return [
            Consumer(
                concurrency=settings.consumer_concurrency,
                name=settings.referrals_consumer,
                stream=settings.referrals_stream,
                subjects=settings.subjects(referrals.SUBJECTS),
                handler=notifier,
                direct=notifier.direct,
                **common,  # type: ignore[arg-type]
            ),
            Consumer(
                name=settings.registry_consumer,
                stream=settings.registry_stream,
                subjects=settings.subjects(registry.SUBJECTS),
                handler=apply_registry_event,
                **common,  # type: ignore[arg-type]
            ),
        ]

    async def start(app: FastAPI) -> None:
        app.state.live = LiveHub(settings.database_url)
        app.state.live.start()
        email = EmailWorker(app.state.sessionmaker, settings, clock)
        webhooks = WebhookWorker(app.state.sessionmaker, settings, clock)
        app.state.deliveries = DeliveryLoops(email, webhooks, settings.worker_interval_s)
        app.state.workers_wake = app.state.deliveries.wake
        if settings.run_workers:
            app.state.deliveries.start()

    async def stop(app: FastAPI) -> None:
        await app.state.deliveries.stop()
        await app.state.deliveries.webhooks.aclose()
        await app.state.live.stop()

    app = create_service_app(
        ServiceDefinition(
            name="notifications",
            title="Hawkari notifications",
            description=(
                "Every party hears about every referral step: an in-app inbox with a live stream, email in "
                "English, Arabic and Central Kurdish, and signed webhooks for partner systems. "
                "No personal data."
            ),
            settings=settings,
            routers=[inbox_router, preferences_router, webhooks_router],
            consumers=consumers,
            on_startup=[start],
            on_shutdown=[stop],
            run_workers=settings.run_workers,
        )
    )
    app.state.clock = clock
    return app
