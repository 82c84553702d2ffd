"""What every service function gets: the unit of work, the caller, the clock and the key vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.clock import Clock
from services.referrals.personal_data.vault import Vault
from services.referrals.settings import ReferralsSettings
from shared.auth import CurrentPrincipal, Principal
from shared.db import SessionDep


@dataclass
class Ctx:
    session: AsyncSession
    actor: Principal
    clock: Clock
    vault: Vault
    settings: ReferralsSettings


async def get_ctx(request: Request, principal: CurrentPrincipal, session: SessionDep) -> Ctx:
    state = request.app.state
    return Ctx(session, principal, state.clock, state.vault, state.settings)


CtxDep = Annotated[Ctx, Depends(get_ctx)]
