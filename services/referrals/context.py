"""What every service function gets: the unit of work, the caller, the clock and the key vault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.referrals.clock import Clock
from services.referrals.personal_data.vault import Vault
from services.referrals.settings import ReferralsSettings
from shared.auth import CurrentPrincipal, Principal
from shared.db import driver_connection


class Ctx:
    """The caller, the clock, the vault, the settings and the request's unit of work.

    A request's session is opened on first use (``opens``): referral creation, the service's hot
    path, runs two hand-written statements on a pooled driver connection and never needs one.
    Commands and workers pass the session they opened themselves.
    """

    def __init__(
        self,
        session: AsyncSession | None,
        actor: Principal,
        clock: Clock,
        vault: Vault,
        settings: ReferralsSettings,
        *,
        opens: async_sessionmaker[AsyncSession] | None = None,
        drivers: asyncpg.Pool | None = None,
    ) -> None:
        if session is None and opens is None:
            raise ValueError("a Ctx needs a session or a sessionmaker to open one")
        self._session = session
        self._opens = opens
        self._drivers = drivers
        self.actor = actor
        self.clock = clock
        self.vault = vault
        self.settings = settings

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            assert self._opens is not None
            self._session = self._opens()
        return self._session

    @property
    def opened(self) -> AsyncSession | None:
        """The session, if one was opened; None if the request never needed it."""
        return self._session

    @asynccontextmanager
    async def driver(self, *, in_unit_of_work: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """An asyncpg connection for hand-written statements.

        The session's, inside its transaction, if it has begun one or ``in_unit_of_work`` (what
        the statements write must commit with what the session writes: an Idempotency-Key, a
        sealed reason) or if there is no driver pool (commands, workers); else one of the driver
        pool's, on which each statement is its own transaction.
        """
        began = self._session is not None and self._session.in_transaction()
        if in_unit_of_work or began or self._drivers is None:
            yield await driver_connection(self.session)
            return
        async with self._drivers.acquire() as conn:
            yield conn


async def get_ctx(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Ctx]:
    """The request's context; its session, if opened, commits once on success, else rolls back."""
    state = request.app.state
    ctx = Ctx(
        None,
        principal,
        state.clock,
        state.vault,
        state.settings,
        opens=state.sessionmaker,
        drivers=state.drivers,
    )
    try:
        yield ctx
    except BaseException:
        if ctx.opened is not None:
            await ctx.opened.rollback()
        raise
    else:
        if ctx.opened is not None:
            await ctx.opened.commit()
    finally:
        if ctx.opened is not None:
            await ctx.opened.close()


# Function scope: the unit of work commits before the answer is sent, as shared.db.SessionDep does.
CtxDep = Annotated[Ctx, Depends(get_ctx, scope="function")]
