"""The coordination service: funders' dashboards on counts and directory facts — never a person.

Run with ``uvicorn --factory services.coordination.app:create_app`` (port 8004). Fed only by the
registry and referrals streams (made by their producers; the consumers retry until they exist).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from services.coordination.consumers import make_consumers
from services.coordination.dashboards.router import router as dashboards_router
from services.coordination.dashboards.snapshot import SnapshotCache
from services.coordination.settings import CoordinationSettings
from shared.app import ServiceDefinition, create_service_app
from shared.consumer import Consumer


def create_app(settings: CoordinationSettings | None = None) -> FastAPI:
    settings = settings or CoordinationSettings()

    def consumers(app: FastAPI) -> Sequence[Consumer]:
        return make_consumers(app, settings)

    async def start(app: FastAPI) -> None:
        app.state.snapshots = SnapshotCache(
            app.state.engine,
            settings.default_k,
            settings.snapshot_max_age_s,
            settings.audit_limit,
            settings.snapshot_max_stale_s,
        )

    async def stop(app: FastAPI) -> None:
        await app.state.snapshots.close()

    return create_service_app(
        ServiceDefinition(
            name="coordination",
            title="Hawkari coordination",
            description=(
                "The NORAQ steering group's dashboards: coverage, overlap, gaps, referral funnel, outcomes "
                "and timelines, from registry and referrals events. Counts and directory facts only; small "
                "cells are suppressed everywhere. For funder and steering_admin."
            ),
            settings=settings,
            routers=[dashboards_router],
            consumers=consumers,
            on_startup=[start],
            on_shutdown=[stop],
            run_workers=settings.run_workers,
        )
    )
