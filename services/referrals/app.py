"""The referrals service: cases, encrypted personal data, consent, referrals and their loop.

Run with ``uvicorn --factory services.referrals.app:create_app`` (port 8002).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from services.referrals import models  # noqa: F401 - registers every table
from services.referrals.cases.router import router as cases_router
from services.referrals.clock import Clock
from services.referrals.consent.router import router as consent_router
from services.referrals.db import dead_letter, inbox, outbox
from services.referrals.duplicates.router import router as duplicates_router
from services.referrals.followups.questions import load_question_set
from services.referrals.followups.router import router as followups_router
from services.referrals.personal_data.master_key import OneSentenceStartupFailure, refuse_wrong_master_key
from services.referrals.personal_data.vault import Vault
from services.referrals.referrals.expiry import ExpiryWorker
from services.referrals.referrals.router import router as referrals_router
from services.referrals.replica.consumer import apply_registry_event
from services.referrals.rights.router import router as rights_router
from services.referrals.settings import ReferralsSettings
from services.referrals.transfers.router import router as transfers_router
from shared.app import ServiceDefinition, Worker, create_service_app
from shared.consumer import Consumer
from shared.contracts import referrals as contracts
from shared.contracts import registry
from shared.db import create_driver_pool
from shared.messaging import StreamSpec


def create_app(settings: ReferralsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ReferralsSettings()
    vault = Vault.from_settings(settings)
    questions = load_question_set(settings.followup_questions_path)

    def consumers(app: FastAPI) -> Sequence[Consumer]:
        return [
            Consumer(
                name=settings.replica_consumer,
                stream=settings.registry_stream,
                subjects=registry.SUBJECTS,
                handler=apply_registry_event,
                sessionmaker=app.state.sessionmaker,
                inbox=inbox,
                dead_letter=dead_letter,
                nats=app.state.nats,
            )
        ]

    async def make_expiry(app: FastAPI) -> None:
        # Made in the lifespan (the sessionmaker exists then); on app.state so tests can drive it.
        app.state.expiry = ExpiryWorker(app.state.sessionmaker, app.state.clock, vault, settings)

    async def open_drivers(app: FastAPI) -> None:
        # Referral creation's statements run on asyncpg's own pool (services.referrals.context).
        app.state.drivers = await create_driver_pool(settings.database_url)

    async def close_drivers(app: FastAPI) -> None:
        await app.state.drivers.close()

    def workers(app: FastAPI) -> Sequence[Worker]:
        return [app.state.expiry] if settings.run_expiry else []

    app = create_service_app(
        ServiceDefinition(
            name="referrals",
            title="Hawkari referrals",
            description=(
                "Returnee cases with encrypted personal data, an append-only consent ledger, referrals "
                "that close the loop, transfers, duplicate flags, follow-ups, audit and data subject rights."
            ),
            settings=settings,
            # Routes are matched in order: referrals first, as referral creation is the service's
            # most frequent request (no two routers share a path, so the order changes nothing else).
            routers=[
                referrals_router,
                cases_router,
                consent_router,
                transfers_router,
                duplicates_router,
                followups_router,
                rights_router,
            ],
            outbox=outbox,
            streams=[StreamSpec(settings.stream_name, contracts.SUBJECTS)],
            consumers=consumers,
            # The key check first: a service that cannot unwrap its data keys must not start.
            on_startup=[refuse_wrong_master_key, make_expiry, open_drivers],
            on_shutdown=[close_drivers],
            workers=workers,
            run_workers=settings.run_workers,
        )
    )
    app.add_middleware(OneSentenceStartupFailure, state=app.state)
    app.state.clock = clock or Clock()
    app.state.vault = vault
    app.state.questions = questions
    return app
