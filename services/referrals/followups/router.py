"""HTTP for needs assessments and follow-ups."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from services.referrals.context import CtxDep
from services.referrals.followups import service
from services.referrals.followups.models import FollowUp
from services.referrals.followups.schemas import FollowUpCreate, FollowUpOut, NeedsAssessment
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_WORK
from shared.auth import authenticated_router, require_roles

router = authenticated_router(
    prefix="/cases/{case_id}", tags=["follow-ups"], dependencies=[Depends(require_roles(*CASE_WORK))]
)


def out(f: FollowUp) -> FollowUpOut:
    return FollowUpOut.model_validate(f, from_attributes=True)


@router.put("/needs", summary="Record the needs assessment per dimension (encrypted)")
async def set_needs(case_id: uuid.UUID, body: NeedsAssessment, ctx: CtxDep) -> dict[str, Any]:
    return await service.set_needs(ctx, case_id, body)


@router.post("/follow-ups", status_code=201, response_model=FollowUpOut, summary="Record a scored follow-up")
async def record(case_id: uuid.UUID, body: FollowUpCreate, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> FollowUpOut:
        return out(await service.record(ctx, case_id, body, request.app.state.questions))

    return await run_idempotent(request, ctx, produce)


@router.get("/follow-ups", response_model=list[FollowUpOut])
async def list_followups(case_id: uuid.UUID, ctx: CtxDep) -> list[FollowUpOut]:
    return [out(f) for f in await service.list_for_case(ctx, case_id)]
