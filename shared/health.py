"""``/healthz`` (the process is alive) and ``/readyz`` (its database and NATS answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.db import database_reachable
from shared.errors import problem_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.state.service_name}


@router.get("/readyz", summary="The database and NATS are reachable", response_model=None)
async def readyz(request: Request) -> Any:
    state = request.app.state
    checks = {
        "database": await database_reachable(state.engine),
        "nats": state.nats.is_connected,
    }
    if all(checks.values()):
        return {"status": "ready", "service": state.service_name, "checks": checks}
    down = ", ".join(name for name, ok in checks.items() if not ok)
    response: JSONResponse = problem_response(
        503, "not-ready", "Not ready", f"Unreachable: {down}.", headers={"Retry-After": "2"}, checks=checks
    )
    return response
