"""The portal: a backend-for-frontend that renders pages for counsellors, providers and funders.

Run with ``uvicorn --factory services.portal.app:create_app`` (port 8000). Pages are rendered on
the server (Jinja2) and enhanced with HTMX, served from ``/static`` like every other asset.
See ``services/portal/README.md`` for how a page module plugs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from services.portal.auth.oidc import OidcClient
from services.portal.auth.router import router as auth_router
from services.portal.charts.render import STATIC as CHARTS_STATIC
from services.portal.dpo.router import router as dpo_router
from services.portal.errors import install_error_pages
from services.portal.middleware import PortalHeaders, content_security_policy
from services.portal.pages.assessment import router as assessment_router
from services.portal.pages.cases import router as cases_router
from services.portal.pages.consent import router as consent_router
from services.portal.pages.directory import router as directory_router
from services.portal.pages.entitlements import router as entitlements_router
from services.portal.pages.home import router as home_router
from services.portal.pages.language import router as language_router
from services.portal.pages.notifications import router as notifications_router
from services.portal.pages.provider import router as provider_router
from services.portal.pages.referrals import router as referrals_router
from services.portal.pages.webhooks import router as webhooks_router
from services.portal.sessions import SessionStore
from services.portal.settings import PortalSettings
from services.portal.steering.router import router as steering_router
from services.portal.vendor import STATIC_DIR, require_vendored_assets
from shared.auth import TokenVerifier
from shared.db import create_engine, create_sessionmaker, database_reachable
from shared.errors import problem_response
from shared.middleware import BodySizeLimit
from shared.telemetry import NO_NATIVE_TELEMETRY, configure_logging, configure_tracing, instrument_app

logger = logging.getLogger("hawkari.portal")


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    configure_logging("portal", settings.log_level)
    configure_tracing("portal")
    require_vendored_assets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool_size=5)
        app.state.engine = engine
        app.state.sessions = SessionStore(create_sessionmaker(engine), settings)
        app.state.http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.api_timeout_s), transport=httpx.AsyncHTTPTransport(retries=1)
        )
        app.state.oidc = OidcClient(settings, app.state.http)
        app.state.token_verifier = TokenVerifier.from_settings(settings)
        purge = asyncio.create_task(_purge_sessions(app.state.sessions), name="portal-session-purge")
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            await app.state.token_verifier.aclose()
            await app.state.http.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Hawkari portal",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    app.state.service_name = "portal"
    app.state.settings = settings
    install_error_pages(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        PortalHeaders,
        csp=content_security_policy(settings.oidc_issuer),
        hsts=settings.public_url.startswith("https://"),
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "portal"}

    @app.get("/readyz", include_in_schema=False, response_model=None)
    async def readyz(request: Request) -> Any:
        if await database_reachable(request.app.state.engine):
            return {"status": "ready", "service": "portal", "checks": {"database": True}}
        response: JSONResponse = problem_response(
            503, "not-ready", "Not ready", "Unreachable: database.", headers={"Retry-After": "2"}
        )
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_router)
    app.include_router(language_router)
    app.include_router(home_router)
    app.include_router(notifications_router)
    app.include_router(cases_router)
    app.include_router(consent_router)
    app.include_router(assessment_router)
    app.include_router(entitlements_router)
    app.include_router(directory_router)
    app.include_router(referrals_router)
    app.include_router(provider_router)
    app.include_router(webhooks_router)
    # --- page modules -------------------------------------------------------------------------
    # Each page module exposes ``router: APIRouter`` (see README.md). Other helpers' modules
    # (steering/, dpo/) add their include_router lines below this one.
    app.mount("/charts", StaticFiles(directory=CHARTS_STATIC), name="charts")  # charts.css
    app.include_router(steering_router)
    app.include_router(dpo_router)

    instrument_app(app, excluded_urls="healthz,readyz,static")
    return app


async def _purge_sessions(sessions: SessionStore, every_s: float = 300.0) -> None:
    while True:
        try:
            await sessions.purge_expired()
        except Exception as exc:  # the database may be restarting; try again later
            logger.warning("session purge failed: %s", type(exc).__name__)
        await asyncio.sleep(every_s)
