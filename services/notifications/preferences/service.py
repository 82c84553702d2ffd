"""Preference rules: known kinds and channels only; the email address comes from the token."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.directory.models import DirectoryUser
from services.notifications.directory.users import clean_email, token_claims
from services.notifications.messages import language_of
from services.notifications.preferences.models import Preference
from services.notifications.preferences.schemas import PreferencesIn
from services.notifications.recipients import KINDS
from shared.auth import Principal
from shared.errors import InvalidField

CHANNELS = ("inbox", "email")


def token_email(principal: Principal) -> str | None:
    """The email claim of the (already verified) access token, if it has a usable one."""
    return clean_email(token_claims(principal).get("email"))


def _complete(channels: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    return {kind: {ch: channels.get(kind, {}).get(ch, True) for ch in CHANNELS} for kind in KINDS}


def _out(subject: str, pref: Preference | None, user: DirectoryUser | None) -> dict[str, Any]:
    return {
        "subject": subject,
        # Until the user chooses, the language their identity provider account names.
        "language": pref.language if pref else language_of(user.locale if user else None, "en"),
        "daily_digest": pref.daily_digest if pref else False,
        "email_known": bool((pref and pref.email) or (user and user.email)),
        "channels": _complete(pref.channels if pref else {}),
        "kinds": list(KINDS),
    }


async def get(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    pref = await session.get(Preference, principal.subject)
    user = await session.get(DirectoryUser, principal.subject)
    return _out(principal.subject, pref, user)


async def save(session: AsyncSession, principal: Principal, body: PreferencesIn) -> dict[str, Any]:
    errors = []
    for kind, chans in body.channels.items():
        pointer = "/channels/" + kind.replace("~", "~0").replace("/", "~1")
        if kind not in KINDS:
            errors.append((pointer, f"unknown kind; one of {', '.join(KINDS)}"))
            continue
        errors.extend(
            (f"{pointer}/{ch}", "unknown channel; one of inbox, email") for ch in chans if ch not in CHANNELS
        )
    if errors:
        raise InvalidField(errors)
    values = {
        "subject": principal.subject,
        "org_id": principal.org_id,
        "roles": sorted(principal.roles),
        "email": token_email(principal),
        "language": body.language,
        "daily_digest": body.daily_digest,
        "channels": body.channels,
        "updated_at": sa.func.now(),
    }
    stmt = insert(Preference).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Preference.subject], set_={k: stmt.excluded[k] for k in values if k != "subject"}
        )
    )
    return await get(session, principal)
