"""The start page: what the user can do, by role; a welcome and a login button when logged out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.auth.deps import load_user
from services.portal.templating import nav_for, render

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    user = await load_user(request)
    return render(request, "home.html", {"sections": nav_for(user)[1:]})
