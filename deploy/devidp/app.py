"""The development identity provider's application factory."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from deploy.devidp import endpoints, login, token_endpoint
from deploy.devidp.context import Idp, OAuthError, RealmNotFound
from deploy.devidp.keys import load_or_create_signing_key
from deploy.devidp.realm import load_realm
from deploy.devidp.settings import IdpSettings, refuse_production
from deploy.devidp.state import AuthorizationCodes, FailedLogins, Sessions
from deploy.devidp.tokens import TokenIssuer

logger = logging.getLogger("hawkari.devidp")


def create_app(settings: IdpSettings | None = None) -> FastAPI:
    """The IdP for ``settings``; raises ``RuntimeError`` outside development and test."""
    settings = settings or IdpSettings()
    refuse_production(settings)
    realm = load_realm(settings.realm_dir)
    key = load_or_create_signing_key(settings.key_file)
    issuer = f"{settings.public_url.rstrip('/')}/realms/{realm.name}"
    for client in realm.clients.values():
        if not client.public and client.secret is None:
            logger.warning(
                "client %s has no secret in %s; it cannot authenticate here",
                client.client_id,
                settings.realm_dir,
            )

    app = FastAPI(
        title="Hawkari development identity provider", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.idp = Idp(
        settings=settings,
        realm=realm,
        key=key,
        issuer=issuer,
        tokens=TokenIssuer(
            realm, key, issuer, settings.access_token_lifetime, settings.refresh_token_lifetime
        ),
        codes=AuthorizationCodes(settings.code_lifetime),
        sessions=Sessions(settings.refresh_token_lifetime),
        failed_logins=FailedLogins(realm.brute_force),
    )
    app.include_router(endpoints.router)
    app.include_router(token_endpoint.router)
    app.include_router(login.router)
    app.add_exception_handler(OAuthError, _oauth_error)
    app.add_exception_handler(RealmNotFound, _realm_not_found)
    logger.info("serving realm %s as %s (%d users, key %s)", realm.name, issuer, len(realm.users), key.kid)
    return app


async def _oauth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    return exc.response()


async def _realm_not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "Realm does not exist"}, status_code=404)
