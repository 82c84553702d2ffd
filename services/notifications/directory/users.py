"""Who the staff users are: learned from the verified access tokens that reach this service.

The identity provider (Keycloak, or the development IdP) puts ``email`` and ``locale`` in every
access token (its ``email`` and ``profile`` scopes). Every authenticated request to this service
records the caller, so a user who has opened the portal once can be written to personally — for
example the counsellor an event names as ``referrer_subject`` — in their language. The row is
rewritten only when the token says something new, so reading the inbox causes no churn.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.directory.models import DirectoryUser
from shared.auth import CurrentPrincipal, Principal
from shared.db import SessionDep

_FIELDS = ("org_id", "roles", "email", "locale")


def token_claims(principal: Principal) -> dict[str, Any]:
    """The claims of the principal's access token (verified already by ``shared.auth``)."""
    try:
        body = principal.token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def clean_email(value: object) -> str | None:
    """A single plain address, or None: nothing that could add a header or a second recipient."""
    if isinstance(value, str) and "@" in value and len(value) <= 254 and not set(value) & set("\r\n,;<> "):
        return value
    return None


def clean_locale(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 16 and value.replace("-", "").isalnum():
        return value
    return None


def describe(principal: Principal) -> dict[str, Any]:
    claims = token_claims(principal)
    return {
        "subject": principal.subject,
        "org_id": principal.org_id,
        "roles": sorted(principal.roles),
        "email": clean_email(claims.get("email")),
        "locale": clean_locale(claims.get("locale")),
    }


async def remember(session: AsyncSession, principal: Principal) -> None:
    """Store what the token says about its user, in the caller's unit of work (service accounts: no)."""
    if principal.is_service:
        return
    stmt = insert(DirectoryUser).values(**describe(principal))
    new = sa.tuple_(*(stmt.excluded[k] for k in _FIELDS))
    old = sa.tuple_(*(getattr(DirectoryUser, k) for k in _FIELDS))
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DirectoryUser.subject],
            set_={**{k: stmt.excluded[k] for k in _FIELDS}, "updated_at": sa.func.now()},
            where=old.is_distinct_from(new),
        )
    )


async def _remember_caller(principal: CurrentPrincipal, session: SessionDep) -> None:
    await remember(session, principal)


# For a router's ``dependencies``: every authenticated call keeps the caller's entry fresh.
remember_caller = Depends(_remember_caller)
