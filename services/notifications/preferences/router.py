"""Preference routes: ``/v1/preferences/me``."""

from __future__ import annotations

from typing import Any

from services.notifications.directory.users import remember_caller
from services.notifications.preferences import service
from services.notifications.preferences.schemas import PreferencesIn, PreferencesOut
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import SessionDep

router = authenticated_router(tags=["preferences"], dependencies=[remember_caller])
Session = SessionDep


@router.get("/preferences/me", response_model=PreferencesOut)
async def get_preferences(principal: CurrentPrincipal, session: Session) -> dict[str, Any]:
    return await service.get(session, principal)


@router.put(
    "/preferences/me",
    response_model=PreferencesOut,
    summary="Save the caller's preferences (and the email address their token carries)",
)
async def put_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, session: Session
) -> dict[str, Any]:
    return await service.save(session, principal, body)
