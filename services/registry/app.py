"""The registry's application factory: ``uvicorn --factory services.registry.app:create_app`` (port 8001)."""

from __future__ import annotations

from fastapi import FastAPI

import shared.contracts  # noqa: F401 - registers the event contracts this service publishes
from services.registry import models
from services.registry.directory.router import router as directory_router
from services.registry.eligibility.router import router as eligibility_router
from services.registry.history.router import router as history_router
from services.registry.hsds.router import make_router as make_hsds_router
from services.registry.locations.router import router as locations_router
from services.registry.organizations.router import router as organizations_router
from services.registry.places.router import router as places_router
from services.registry.programmes.router import router as programmes_router
from services.registry.search.router import router as search_router
from services.registry.settings import RegistrySettings
from services.registry.taxonomy.router import router as taxonomy_router
from shared.app import ServiceDefinition, create_service_app
from shared.contracts.registry import SUBJECTS
from shared.messaging import StreamSpec
from shared.ratelimit import RateLimiter

DESCRIPTION = """
The directory of reintegration providers in Iraq: organizations, their services (with capacity
and verification), locations and service areas, the reintegration taxonomy, funded programmes,
structured eligibility rules and benefits, and the entitlements a returnee has.

Every route needs a bearer token of the `hawkari` realm. Everyone authenticated reads; who
writes what is said on each route. Updates need `If-Match` with the ETag you read (428 without
it, 412 when someone changed the entry in between). Errors are RFC 9457 problem details.
The directory is also published as an Open Referral HSDS 3.0 feed under `/hsds`.
"""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    app = create_service_app(
        ServiceDefinition(
            name="registry",
            title="Hawkari registry",
            description=DESCRIPTION,
            settings=settings,
            routers=[
                # Search (GET /services) before the service routes, for a readable OpenAPI order.
                search_router,
                directory_router,
                organizations_router,
                locations_router,
                taxonomy_router,
                programmes_router,
                eligibility_router,
                history_router,
                places_router,
            ],
            outbox=models.outbox,
            # Last message per subject: replaying the stream gives each entity's latest state.
            streams=[StreamSpec(settings.stream_name, SUBJECTS, last_per_subject=True)],
            run_workers=settings.run_workers,
        )
    )
    app.include_router(make_hsds_router(public=settings.hsds_public), prefix="/hsds")
    app.state.rate_limiters = {
        "search": RateLimiter.per_minute(settings.search_rate_per_minute, settings.search_rate_burst)
    }
    return app
