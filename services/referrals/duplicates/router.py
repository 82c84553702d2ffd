"""HTTP for possible-duplicate flags: list, confirm, dismiss (never merge)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.referrals.cases.models import Case
from services.referrals.context import CtxDep
from services.referrals.duplicates import service
from services.referrals.duplicates.models import DuplicateFlag
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_WORK
from shared.auth import authenticated_router, require_roles

router = authenticated_router(
    prefix="/duplicates", tags=["duplicates"], dependencies=[Depends(require_roles(*CASE_WORK))]
)


class FlagOut(BaseModel):
    id: uuid.UUID
    match: str
    status: str
    created_at: datetime
    # Your organization's case(s) by id and reference; another organization's case only by its owner.
    own_cases: list[dict[str, str]]
    other_organizations: list[uuid.UUID]


def flag_out(flag: DuplicateFlag, a: Case, b: Case, org_id: uuid.UUID | None) -> FlagOut:
    own = [{"id": str(c.id), "reference": c.reference} for c in (a, b) if c.owner_org_id == org_id]
    others = [c.owner_org_id for c in (a, b) if c.owner_org_id != org_id]
    return FlagOut(
        id=flag.id,
        match=flag.kind,
        status=flag.status,
        created_at=flag.created_at,
        own_cases=own,
        other_organizations=others,
    )


@router.get("", response_model=list[FlagOut])
async def list_flags(
    ctx: CtxDep, status: Annotated[str | None, Query(pattern="^(open|confirmed|dismissed)$")] = "open"
) -> list[FlagOut]:
    return [flag_out(f, a, b, ctx.actor.org_id) for f, a, b in await service.flags_for_org(ctx, status)]


async def _resolve(flag_id: uuid.UUID, resolution: str, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> FlagOut:
        flag, a, b = await service.resolve(ctx, flag_id, resolution)
        return flag_out(flag, a, b, ctx.actor.org_id)

    return await run_idempotent(request, ctx, produce, status_code=200)


@router.post("/{flag_id}/confirm", response_model=FlagOut, summary="The two cases are the same person")
async def confirm(flag_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    return await _resolve(flag_id, "confirmed", request, ctx)


@router.post("/{flag_id}/dismiss", response_model=FlagOut, summary="Not the same person")
async def dismiss(flag_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    return await _resolve(flag_id, "dismissed", request, ctx)
