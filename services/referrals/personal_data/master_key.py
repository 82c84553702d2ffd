"""A wrong or missing master key: refused at startup in one sentence, a 503 problem at request time.

Without this a misconfigured key shows up only as a decryption failure deep in a request. The
check unwraps one stored data key per master key id: if any does not unwrap, the service would
fail every read of personal data, so it does not start. Erased cases (no wrapped key) don't count.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.referrals.personal_data.crypto import MasterKeyMismatch, MasterKeys
from services.referrals.personal_data.models import CaseKey
from shared.errors import ProblemError, is_dependency_down

logger = logging.getLogger("hawkari.referrals.keys")

SETTING = "HAWKARI_REFERRALS_MASTER_KEY"
PREVIOUS = "HAWKARI_REFERRALS_PREVIOUS_MASTER_KEYS"


class PersonalDataLocked(ProblemError):
    status, slug, title = 503, "personal-data-locked", "Personal data cannot be unlocked"

    def __init__(self) -> None:
        super().__init__(
            "The service's master key does not unlock the stored personal data; an operator must "
            "correct its key settings. Nothing was changed.",
            headers={"Retry-After": "60"},
        )


class MasterKeyRefused(RuntimeError):
    """Raised from the lifespan: the service must not start with this master key."""


def explain(mismatch: MasterKeyMismatch, master: MasterKeys) -> str:
    """One sentence for an operator, naming the setting to fix."""
    if mismatch.configured:
        which = SETTING if mismatch.key_id == master.current_id else f"{PREVIOUS}[{mismatch.key_id!r}]"
        return (
            f"{which} does not unwrap the data keys stored under master key id {mismatch.key_id!r}: "
            f"set it to the key that wrapped them."
        )
    return (
        f"Stored data keys are wrapped under master key id {mismatch.key_id!r}, which is neither "
        f"HAWKARI_REFERRALS_MASTER_KEY_ID ({master.current_id!r}) nor in {PREVIOUS}: configure that key."
    )


async def check(session: AsyncSession, master: MasterKeys) -> str | None:
    """The sentence explaining why ``master`` cannot unwrap the stored data keys, or None."""
    live = CaseKey.wrapped_key.is_not(None)
    key_ids = (await session.execute(sa.select(CaseKey.master_key_id).where(live).distinct())).scalars()
    for key_id in list(key_ids):
        row = (
            await session.execute(
                sa.select(CaseKey.case_id, CaseKey.wrapped_key)
                .where(live, CaseKey.master_key_id == key_id)
                .limit(1)
            )
        ).one()
        try:
            master.unwrap(key_id, row.wrapped_key, row.case_id)
        except MasterKeyMismatch as mismatch:
            return explain(mismatch, master)
    return None


async def refuse_wrong_master_key(app: FastAPI) -> None:
    """Startup hook: stop here, in one sentence, when the configured keys don't fit the data."""
    try:
        async with app.state.sessionmaker() as session:
            problem = await check(session, app.state.vault.master)
    except Exception as exc:
        if not is_dependency_down(exc):
            raise
        # The database is down: /readyz says so; requests meet the same check on first use.
        logger.warning("master key not checked at startup: the database is unreachable")
        return
    if problem is not None:
        app.state.startup_refusal = problem
        logger.critical(problem)
        raise MasterKeyRefused(problem)


class OneSentenceStartupFailure:
    """ASGI middleware: a refused startup reads as its sentence, not as a traceback.

    Starlette reports a failing lifespan with the formatted traceback, which uvicorn prints; for
    a refusal we know the cause of, the operator gets the sentence that names the setting.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_plain(message: Message) -> None:
            refusal = getattr(self.state, "startup_refusal", None)
            if message["type"] == "lifespan.startup.failed" and refusal:
                message = {**message, "message": f"Refusing to start: {refusal}"}
            await send(message)

        await self.app(scope, receive, send_plain)
