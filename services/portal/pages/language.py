"""The language picker: a plain GET form (works without JavaScript) remembered in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import i18n
from services.portal.auth.deps import safe_return_path
from services.portal.settings import PortalSettings

router = APIRouter()


@router.get("/language")
async def choose_language(request: Request, lang: str = "", next: str = "/") -> Response:
    # Only a preference changes here, never data, so a GET form is enough and needs no CSRF token.
    response = RedirectResponse(safe_return_path(next), status_code=303)
    if lang in i18n.LANGUAGES:
        settings: PortalSettings = request.app.state.settings
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response
